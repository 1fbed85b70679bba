"""The sections of the app: sign-in, chat (with answers and the conversation list), documents, usage."""
