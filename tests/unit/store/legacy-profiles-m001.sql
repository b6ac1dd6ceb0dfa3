PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO _sqlite_migrations VALUES(1,'profiles','m001_profiles','2026-12-07 09:23:05.004536+00:00');
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
);
INSERT INTO customers VALUES('C1','Old Li',NULL,NULL,NULL,NULL,NULL,0,1.0,NULL,0,0,NULL,NULL);
CREATE TABLE IF NOT EXISTS "contact_points" (
   "kind" TEXT,
   "value" TEXT,
   "customer_id" TEXT REFERENCES "customers"("id"),
   "added_at" REAL,
   PRIMARY KEY ("kind", "value")
);
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
);
INSERT INTO interactions VALUES('i1','C1','v1','chat',NULL,NULL,NULL,NULL,3.0);
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
COMMIT;
