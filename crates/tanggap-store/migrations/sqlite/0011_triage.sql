-- Triage inbox: messages that arrived through WhatsApp, SMS or e-mail,
-- grouped into conversations per channel and sender, until staff turn a
-- conversation into a complaint, attach it to one, or dismiss it.

CREATE TABLE triage_conversations (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    -- Phone number or e-mail address as the channel delivered it; empty for
    -- a quarantined message whose sender could not be read.
    sender TEXT NOT NULL,
    sender_name TEXT,
    -- new, converted, attached, dismissed or quarantined.
    state TEXT NOT NULL,
    complaint_id BIGINT REFERENCES complaints (id),
    -- Dismissal or quarantine reason code.
    reason TEXT,
    -- Set when a message named a complaint its sender does not own.
    flag TEXT,
    -- The reporter wrote again since staff last opened the conversation.
    unread BOOLEAN NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX triage_conversations_sender ON triage_conversations (channel, sender, state);
CREATE INDEX triage_conversations_last ON triage_conversations (state, last_at);

CREATE TABLE triage_messages (
    id INTEGER PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES triage_conversations (id),
    channel TEXT NOT NULL,
    -- The provider's message id (WhatsApp, SMS gateway) or the Message-ID.
    external_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    -- JSON list of files kept with the message: name, media type, size, SHA-256.
    attachments TEXT NOT NULL,
    -- JSON list of file names rejected by the upload checks.
    rejected_files TEXT NOT NULL,
    UNIQUE (channel, external_id)
);

CREATE INDEX triage_messages_conversation ON triage_messages (conversation_id, id);
