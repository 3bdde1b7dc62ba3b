"""Microsoft tenant ids Ruby needs to recognise (pure constants; auth.py and the sandbox share them)."""

# The tenant of personal Microsoft accounts (Outlook.com, Hotmail, Live): the `tid` of a consumer user
# (MicrosoftDocs/entra-docs docs/identity-platform/id-token-claims-reference.md).
PERSONAL_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
