"""Vendor bodies for the protocol tests, taken from each vendor's published documentation (research notes:
/work/tools/vendors.md §1–3). Each constant names the page it comes from; values we had to fill in are said."""

from __future__ import annotations

# Zoom "recording.transcript_completed". Shape: Zoom's own SDK type RecordingTranscriptCompletedEvent
# (github.com/zoom/rivet-javascript meetings/meetings.d.ts; https://zoom.github.io/rivet-javascript/types/
# Meetings.RecordingTranscriptCompletedEvent.html); values from the docs-style example body quoted in vendors.md §1,
# with the download_url set on the configured Zoom host (the example has a placeholder there) and file_extension
# added (the SDK type marks it required).
ZOOM_TRANSCRIPT_COMPLETED = {
    "event": "recording.transcript_completed",
    "event_ts": 1626230691572,
    "payload": {
        "account_id": "AAAAAABBBB",
        "object": {
            "id": 1234567890,
            "uuid": "4444AAAiAAAAAiAiAiiAii==",
            "host_id": "x1yCzABCDEfg23HiJKl4mN",
            "account_id": "x1yCzABCDEfg23HiJKl4mN",
            "host_email": "jchill@example.com",
            "topic": "My Personal Recording",
            "type": 4,
            "start_time": "2021-07-13T21:44:51Z",
            "timezone": "America/Los_Angeles",
            "password": "123456",
            "duration": 60,
            "share_url": "https://example.com",
            "total_size": 529758,
            "recording_count": 1,
            "recording_files": [
                {
                    "id": "ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8",
                    "meeting_id": "098765ABCD",
                    "recording_start": "2021-03-23T22:14:57Z",
                    "recording_end": "2021-03-23T23:15:41Z",
                    "file_type": "TRANSCRIPT",
                    "file_extension": "VTT",
                    "file_size": 142,
                    "play_url": "https://example.com/recording/play/Qg75t7xZBtEbAkjdlgbfdngBBBB",
                    "download_url": "https://zoom.us/rec/webhook_download/Qg75t7xZBtEbAkjdlgbfdngBBBB",
                    "status": "completed",
                    "recording_type": "audio_transcript",
                }
            ],
        },
    },
    "download_token": "abJhbGciOiJIUzUxMiJ9.download-token",
}

# Zoom endpoint.url_validation: {"event", "payload": {"plainToken"}} (zoom/webhook-sample index.js; rivet-javascript
# isRawUrlValidationEvent); event_ts as the third-party Go example shows.
ZOOM_URL_VALIDATION = {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}

# GET /past_meetings/{meetingId}/participants answer: rivet-javascript MeetingsGetPastMeetingParticipantsResponse.
ZOOM_PARTICIPANTS = {
    "next_page_token": "",
    "page_count": 1,
    "page_size": 300,
    "total_records": 2,
    "participants": [
        {"id": "30R7kT7bTIKSNUFEuH_Qlg", "name": "Jill Chill", "user_email": "jchill@example.com"},
        {"id": "8b29rgg4bb", "name": "Dana Whitfield", "user_email": "dana@northwind.example"},
    ],
}

# S2S OAuth token answer: {access_token, token_type, expires_in, scope} (Rivet's assertRawToken checks exactly these;
# the full example is from the partner-built Zoom plugin docs quoted in vendors.md §1).
ZOOM_TOKEN = {"access_token": "eyJhbGciOiJIUzI1NiJ9.s2s", "token_type": "bearer", "expires_in": 3600, "scope": "x"}

# The transcript file itself (WebVTT, "Name: words" cues). Zoom's own description of the layout was NOT found
# (vendors.md §1): this file is ours, in the format Ruby's parser reads.
ZOOM_VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nJill Chill: Let's revisit the budget allocations.\n"

# Fireflies webhook V1, https://docs.fireflies.ai/graphql-api/webhooks (verbatim).
FIREFLIES_WEBHOOK_V1 = {
    "meetingId": "ASxwZxCstx",
    "eventType": "Transcription completed",
    "clientReferenceId": "be582c46-4ac9-4565-9ba6-6ab4264496a8",
}
# Fireflies webhook V2, https://docs.fireflies.ai/graphql-api/webhooks-v2 (verbatim).
FIREFLIES_WEBHOOK_V2 = {
    "event": "meeting.transcribed",
    "timestamp": 1710876543210,
    "meeting_id": "ASxwZxCstx",
    "client_reference_id": "be582c46-4ac9-4565-9ba6-6ab4264496a8",
}
FIREFLIES_SUMMARIZED = {"event": "meeting.summarized", "timestamp": 1710876789456, "meeting_id": "ASxwZxCstx"}

# transcript(id:) answer: fields of https://docs.fireflies.ai/graphql-api/query/transcript and
# https://docs.fireflies.ai/schema/transcript; title/id from the page's example; other values ours.
FIREFLIES_TRANSCRIPT = {
    "data": {
        "transcript": {
            "id": "ASxwZxCstx",
            "title": "Weekly sync",
            "dateString": "2025-03-05T15:00:00.000Z",
            "date": 1741186800000,
            "duration": 30,
            "organizer_email": "sam@ruby-demo.example",
            "participants": ["sam@ruby-demo.example", "dana@northwind.example"],
            "meeting_attendees": [{"displayName": "Dana Whitfield", "email": "dana@northwind.example", "name": None}],
            "speakers": [{"id": "1", "name": "Dana Whitfield"}],
            "sentences": [
                {"index": 0, "speaker_name": "Dana Whitfield", "text": "Hello.", "start_time": 1.2, "end_time": 2.0}
            ],
        }
    }
}
# https://docs.fireflies.ai/miscellaneous/error-codes (forbidden example, trailing commas removed).
FIREFLIES_FORBIDDEN = {
    "errors": [
        {
            "message": "You are not authorized to perform this action",
            "code": "forbidden",
            "extensions": {"code": "forbidden", "status": 403},
        }
    ]
}

# Fathom "new meeting content ready", https://developers.fathom.ai/api-reference/webhook-payloads/
# new-meeting-content-ready (the stored copy is truncated and its e-mails obfuscated: recording_id, the e-mails and
# calendar_invitees are filled in from the Meeting schema of https://developers.fathom.ai/quickstart).
FATHOM_NEW_MEETING = {
    "title": "Quarterly Business Review",
    "meeting_title": "QBR 2025 Q1",
    "recording_id": 123456789,
    "url": "https://fathom.video/xyz123",
    "share_url": "https://fathom.video/share/xyz123",
    "created_at": "2025-03-01T17:01:30Z",
    "scheduled_start_time": "2025-03-01T16:00:00Z",
    "scheduled_end_time": "2025-03-01T17:00:00Z",
    "recording_start_time": "2025-03-01T16:01:12Z",
    "recording_end_time": "2025-03-01T17:00:55Z",
    "calendar_invitees_domains_type": "one_or_more_external",
    "calendar_invitees": [{"is_external": True, "name": "Jane Doe", "email": "jane.doe@acme.example"}],
    "recorded_by": {"name": "John Smith", "email": "john.smith@ruby-demo.example", "team": "Sales"},
    "transcript": [
        {
            "speaker": {"display_name": "Jane Doe", "matched_calendar_invitee_email": "jane.doe@acme.example"},
            "text": "Let's revisit the budget allocations.",
            "timestamp": "00:05:32",
        },
        {
            "speaker": {"display_name": "John Smith", "matched_calendar_invitee_email": None},
            "text": "I agree, we need to adjust our projections.",
            "timestamp": "00:05:40",
        },
    ],
}

# The Standard Webhooks specification's published test vector (Fathom signs by that scheme,
# https://developers.fathom.ai/webhooks): github.com/standard-webhooks/standard-webhooks.
STANDARD_WEBHOOKS_VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": "1614265330",
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
