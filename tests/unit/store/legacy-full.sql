PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO _sqlite_migrations VALUES(1,'profiles','m001_profiles','2026-12-07 09:23:04.788848+00:00');
INSERT INTO _sqlite_migrations VALUES(2,'profiles','m002_interaction_kind','2026-12-07 09:23:04.796466+00:00');
INSERT INTO _sqlite_migrations VALUES(3,'profiles','m003_field_times','2026-12-07 09:23:04.807176+00:00');
INSERT INTO _sqlite_migrations VALUES(4,'calls','m001_calls','2026-12-07 09:23:04.813735+00:00');
INSERT INTO _sqlite_migrations VALUES(5,'profiles-care','m001_care','2026-12-07 09:23:04.821160+00:00');
INSERT INTO _sqlite_migrations VALUES(6,'profiles-risk','m001_outreach_queue','2026-12-07 09:23:04.832360+00:00');
INSERT INTO _sqlite_migrations VALUES(7,'profiles-risk','m002_events_by_type','2026-12-07 09:23:04.841047+00:00');
INSERT INTO _sqlite_migrations VALUES(8,'dialer','m001_dialer','2026-12-07 09:23:04.851614+00:00');
INSERT INTO _sqlite_migrations VALUES(9,'transcripts','m001_transcripts','2026-12-07 09:23:04.862718+00:00');
INSERT INTO _sqlite_migrations VALUES(10,'users','m001_users','2026-12-07 09:23:04.873667+00:00');
CREATE TABLE IF NOT EXISTS "customers" (
   "id" TEXT PRIMARY KEY,
   "name" TEXT,
   "language" TEXT,
   "timezone" TEXT,
   "preferred_style" TEXT,
   "plan" TEXT,
   "loyalty_level" TEXT,
   "loyalty_points" INTEGER DEFAULT 0,
   "created_at" REAL,
   "updated_at" REAL,
   "prediction_opt_out" INTEGER DEFAULT 0,
   "contact_opt_out" INTEGER DEFAULT 0,
   "consent" TEXT,
   "attrs" TEXT
, "field_times" TEXT);
INSERT INTO customers VALUES('C1','Old Li',NULL,NULL,NULL,NULL,NULL,0,1.0,NULL,0,0,NULL,NULL,'{"name": 5.0}');
CREATE TABLE IF NOT EXISTS "contact_points" (
   "kind" TEXT,
   "value" TEXT,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "added_at" REAL,
   PRIMARY KEY ("kind", "value")
);
INSERT INTO contact_points VALUES('phone','8613800000001','C1',1.0);
CREATE TABLE IF NOT EXISTS "interactions" (
   "id" TEXT PRIMARY KEY,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "conversation_id" TEXT,
   "channel" TEXT,
   "direction" TEXT,
   "topic" TEXT,
   "content" TEXT,
   "status" TEXT,
   "at" REAL
, "kind" TEXT);
CREATE TABLE IF NOT EXISTS "tickets" (
   "id" TEXT PRIMARY KEY,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "kind" TEXT,
   "subject" TEXT,
   "topic" TEXT,
   "status" TEXT,
   "opened_at" REAL,
   "resolved_at" REAL
);
CREATE TABLE IF NOT EXISTS "orders" (
   "id" TEXT PRIMARY KEY,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "at" REAL,
   "amount" REAL,
   "product" TEXT,
   "status" TEXT
);
CREATE TABLE IF NOT EXISTS "ratings" (
   "id" TEXT PRIMARY KEY,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "stars" INTEGER,
   "at" REAL,
   "channel" TEXT
);
CREATE TABLE IF NOT EXISTS "logins" (
   "id" TEXT PRIMARY KEY,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "at" REAL,
   "channel" TEXT
);
CREATE TABLE IF NOT EXISTS "interventions" (
   "id" INTEGER PRIMARY KEY,
   "customer_id" TEXT,
   "kind" TEXT,
   "at" REAL,
   "by" TEXT,
   "outcome" TEXT,
   "outcome_at" REAL,
   "arm" TEXT,
   "details" TEXT
);
CREATE TABLE IF NOT EXISTS "events" (
   "id" TEXT PRIMARY KEY,
   "type" TEXT,
   "customer_id" TEXT,
   "at" REAL,
   "received_at" REAL,
   "source" TEXT,
   "data" TEXT
);
CREATE TABLE IF NOT EXISTS "risk" (
   "customer_id" TEXT PRIMARY KEY,
   "score" REAL,
   "tier" TEXT,
   "tags" TEXT,
   "reasons" TEXT,
   "model" TEXT,
   "scored_at" REAL
);
CREATE TABLE IF NOT EXISTS "risk_changes" (
   "id" INTEGER PRIMARY KEY,
   "customer_id" TEXT,
   "at" REAL,
   "old_tier" TEXT,
   "new_tier" TEXT,
   "score" REAL,
   "reasons" TEXT
);
CREATE TABLE IF NOT EXISTS "callbacks" (
   "id" INTEGER PRIMARY KEY,
   "customer_id" TEXT,
   "number" TEXT,
   "score" REAL,
   "value" REAL,
   "priority" REAL,
   "reason" TEXT,
   "created_at" REAL,
   "due_at" REAL,
   "status" TEXT,
   "campaign" TEXT,
   "updated_at" REAL
);
CREATE TABLE IF NOT EXISTS "calls" (
   "id" TEXT PRIMARY KEY,
   "status" TEXT,
   "caller_channel" TEXT,
   "caller_number" TEXT,
   "caller_name" TEXT,
   "did" TEXT,
   "customer_id" TEXT,
   "vip_tier" TEXT,
   "risk_tier" TEXT,
   "language" TEXT,
   "ivr_path" TEXT,
   "queue" TEXT,
   "topic" TEXT,
   "agent_id" TEXT,
   "agent_channel" TEXT,
   "agent_attempts" INTEGER,
   "last_agent_failure" TEXT,
   "arrived_at" REAL,
   "answered_at" REAL,
   "queued_at" REAL,
   "agent_dialed_at" REAL,
   "agent_answered_at" REAL,
   "connected_at" REAL,
   "ended_at" REAL,
   "hangup_by" TEXT,
   "end_cause" TEXT
);
INSERT INTO calls VALUES('old-call','completed',NULL,'13800000001',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,2.0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE IF NOT EXISTS "care_seen" (
   "id" INTEGER PRIMARY KEY,
   "customer_id" TEXT,
   "type" TEXT,
   "at" REAL,
   "data" TEXT
);
CREATE TABLE IF NOT EXISTS "care_fired" (
   "customer_id" TEXT,
   "rule" TEXT,
   "cause" TEXT,
   "at" REAL,
   "action" TEXT,
   "channel" TEXT,
   "message" TEXT,
   "offer" TEXT,
   "status" TEXT,
   "due" REAL,
   "arm" TEXT,
   "attempts" INTEGER,
   "delivered_at" REAL,
   "error" TEXT,
   PRIMARY KEY ("customer_id", "rule", "cause")
);
CREATE TABLE IF NOT EXISTS "risk_outreach" (
   "id" INTEGER PRIMARY KEY,
   "customer_id" TEXT,
   "kind" TEXT,
   "body" TEXT,
   "status" TEXT,
   "attempts" INTEGER DEFAULT 0,
   "due" REAL,
   "created_at" REAL,
   "delivered_at" REAL,
   "error" TEXT,
   "intervention_id" INTEGER
);
CREATE TABLE IF NOT EXISTS "campaigns" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT,
   "kind" TEXT,
   "mode" TEXT,
   "status" TEXT,
   "queue" TEXT,
   "policy" TEXT,
   "created_at" REAL,
   "started_at" REAL,
   "stopped_at" REAL,
   "updated_at" REAL
);
INSERT INTO campaigns VALUES(1,'old','manual','progressive','draft','general','{}',1.0,NULL,NULL,NULL);
CREATE TABLE IF NOT EXISTS "contacts" (
   "id" INTEGER PRIMARY KEY,
   "campaign_id" INTEGER REFERENCES "campaigns"("id"),
   "customer_id" TEXT,
   "number" TEXT,
   "timezone" TEXT,
   "priority" REAL DEFAULT 0.0,
   "name" TEXT,
   "due_at" REAL,
   "callback_id" INTEGER,
   "attempts" INTEGER DEFAULT 0,
   "last_outcome" TEXT,
   "last_attempt_at" REAL,
   "next_at" REAL DEFAULT 0.0,
   "status" TEXT DEFAULT 'pending',
   "reason" TEXT,
   "agent_id" TEXT,
   "added_at" REAL,
   "updated_at" REAL
);
CREATE TABLE IF NOT EXISTS "attempts" (
   "id" INTEGER PRIMARY KEY,
   "campaign_id" INTEGER REFERENCES "campaigns"("id"),
   "contact_id" INTEGER REFERENCES "contacts"("id"),
   "customer_id" TEXT,
   "number" TEXT,
   "channel_id" TEXT,
   "agent_id" TEXT,
   "dialed_at" REAL,
   "answered_at" REAL,
   "amd_status" TEXT,
   "amd_cause" TEXT,
   "live" INTEGER,
   "outcome" TEXT,
   "intervention_outcome" TEXT,
   "ring_seconds" REAL,
   "talk_seconds" REAL,
   "ended_at" REAL,
   "details" TEXT
);
CREATE TABLE IF NOT EXISTS "dnc" (
   "number" TEXT PRIMARY KEY,
   "added_at" REAL,
   "reason" TEXT
);
CREATE TABLE IF NOT EXISTS "transcripts" (
   "id" INTEGER PRIMARY KEY,
   "call_id" TEXT,
   "role" TEXT,
   "lang" TEXT,
   "text" TEXT,
   "at" REAL,
   "start" REAL,
   "end" REAL,
   "menu" TEXT,
   "intent" TEXT,
   "words" TEXT,
   "emotion_score" REAL,
   "emotion_label" TEXT
);
CREATE TABLE IF NOT EXISTS "users" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "agent_id" TEXT,
   "password_hash" TEXT NOT NULL,
   "lang" TEXT,
   "disabled" INTEGER,
   "created_at" REAL
);
CREATE TABLE IF NOT EXISTS "sessions" (
   "id" TEXT PRIMARY KEY,
   "user_id" INTEGER REFERENCES "users"("id"),
   "created_at" REAL,
   "expires_at" REAL,
   "address" TEXT
);
CREATE TABLE IF NOT EXISTS "api_tokens" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT,
   "token_hash" TEXT,
   "created_at" REAL,
   "revoked_at" REAL,
   "last_used_at" REAL
);
CREATE TABLE IF NOT EXISTS "audit" (
   "id" INTEGER PRIMARY KEY,
   "at" REAL,
   "by" TEXT,
   "action" TEXT,
   "target" TEXT,
   "details" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX "idx_contact_points_customer_id"
    ON "contact_points" ("customer_id");
CREATE INDEX "idx_interactions_customer_id_at"
    ON "interactions" ("customer_id", "at");
CREATE INDEX "idx_interactions_conversation_id"
    ON "interactions" ("conversation_id");
CREATE INDEX "idx_tickets_customer_id_status"
    ON "tickets" ("customer_id", "status");
CREATE INDEX "idx_orders_customer_id_at"
    ON "orders" ("customer_id", "at");
CREATE INDEX "idx_ratings_customer_id_at"
    ON "ratings" ("customer_id", "at");
CREATE INDEX "idx_logins_customer_id_at"
    ON "logins" ("customer_id", "at");
CREATE INDEX "idx_interventions_customer_id_at"
    ON "interventions" ("customer_id", "at");
CREATE INDEX "idx_events_customer_id_at"
    ON "events" ("customer_id", "at");
CREATE INDEX "idx_risk_tier"
    ON "risk" ("tier");
CREATE INDEX "idx_risk_changes_customer_id_at"
    ON "risk_changes" ("customer_id", "at");
CREATE INDEX "idx_callbacks_status_due_at"
    ON "callbacks" ("status", "due_at");
CREATE INDEX "idx_callbacks_customer_id_status"
    ON "callbacks" ("customer_id", "status");
CREATE INDEX "idx_interactions_customer_id_kind_at"
    ON "interactions" ("customer_id", "kind", "at");
CREATE INDEX "idx_calls_arrived_at"
    ON "calls" ("arrived_at");
CREATE INDEX "idx_calls_caller_number"
    ON "calls" ("caller_number");
CREATE INDEX "idx_calls_agent_id"
    ON "calls" ("agent_id");
CREATE INDEX "idx_care_seen_customer_id_type_at"
    ON "care_seen" ("customer_id", "type", "at");
CREATE INDEX "idx_care_seen_at"
    ON "care_seen" ("at");
CREATE INDEX "idx_care_fired_status_due"
    ON "care_fired" ("status", "due");
CREATE INDEX "idx_risk_outreach_status_due"
    ON "risk_outreach" ("status", "due");
CREATE INDEX "idx_risk_outreach_customer_id_status"
    ON "risk_outreach" ("customer_id", "status");
CREATE INDEX "idx_events_customer_id_type"
    ON "events" ("customer_id", "type");
CREATE INDEX "idx_contacts_campaign_id_status_next_at"
    ON "contacts" ("campaign_id", "status", "next_at");
CREATE INDEX "idx_contacts_campaign_id_number"
    ON "contacts" ("campaign_id", "number");
CREATE UNIQUE INDEX "idx_contacts_campaign_id_callback_id"
    ON "contacts" ("campaign_id", "callback_id");
CREATE INDEX "idx_attempts_campaign_id_outcome"
    ON "attempts" ("campaign_id", "outcome");
CREATE INDEX "idx_attempts_campaign_id_live_answered_at"
    ON "attempts" ("campaign_id", "live", "answered_at");
CREATE INDEX "idx_attempts_contact_id"
    ON "attempts" ("contact_id");
CREATE INDEX "idx_transcripts_call_id_at"
    ON "transcripts" ("call_id", "at");
CREATE UNIQUE INDEX "idx_users_name"
    ON "users" ("name");
CREATE UNIQUE INDEX "idx_api_tokens_token_hash"
    ON "api_tokens" ("token_hash");
CREATE INDEX "idx_audit_at"
    ON "audit" ("at");
COMMIT;
