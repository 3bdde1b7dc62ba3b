def test_privacy_page_states_reads_retention_deletion_and_read_only(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "read-only" in body
    assert "default calendar" in body and "Mail, Teams chat" in body
    assert "Data Deletion — Outlook Calendar" in body and "within 30 days" in body
    assert "support@heyruby.io" in body
    assert "kept while your connection is active" in body
