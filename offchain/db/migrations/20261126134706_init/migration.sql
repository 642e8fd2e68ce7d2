-- CreateEnum
CREATE TYPE "Role" AS ENUM ('creator', 'buyer', 'auditor', 'operator');

-- CreateEnum
CREATE TYPE "DatasetStatus" AS ENUM ('active', 'retired');

-- CreateEnum
CREATE TYPE "ConsentScope" AS ENUM ('training', 'inference');

-- CreateEnum
CREATE TYPE "LicenseModel" AS ENUM ('one_time', 'subscription', 'per_use', 'revenue_share');

-- CreateEnum
CREATE TYPE "OfferStatus" AS ENUM ('open', 'withdrawn');

-- CreateEnum
CREATE TYPE "LicenseStatus" AS ENUM ('active', 'ended', 'revoked');

-- CreateEnum
CREATE TYPE "DepositState" AS ENUM ('pending', 'confirmed', 'reorged');

-- CreateEnum
CREATE TYPE "EpochStatus" AS ENUM ('computed', 'submitted', 'claimable', 'vetoed');

-- CreateTable
CREATE TABLE "siwe_nonces" (
    "nonce" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),

    CONSTRAINT "siwe_nonces_pkey" PRIMARY KEY ("nonce")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "role_assignments" (
    "address" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "granted_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "role_assignments_pkey" PRIMARY KEY ("address","role")
);

-- CreateTable
CREATE TABLE "creators" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "creators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "datasets" (
    "id" TEXT NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" "DatasetStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contributor_shares" (
    "dataset_id" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "bps" INTEGER NOT NULL,

    CONSTRAINT "contributor_shares_pkey" PRIMARY KEY ("dataset_id","account")
);

-- CreateTable
CREATE TABLE "consent_records" (
    "id" UUID NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "item_ref" TEXT,
    "subject_hash" TEXT NOT NULL,
    "salt" TEXT NOT NULL,
    "scope" "ConsentScope" NOT NULL,
    "evidence_hash" TEXT NOT NULL,
    "granted_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),
    "receipt_hash" TEXT NOT NULL,

    CONSTRAINT "consent_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "buyers" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "buyers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "offers" (
    "id" UUID NOT NULL,
    "creator_id" UUID NOT NULL,
    "model" "LicenseModel" NOT NULL,
    "token" TEXT NOT NULL,
    "scope" "ConsentScope" NOT NULL,
    "price" DECIMAL(78,0),
    "period_seconds" INTEGER,
    "rate_per_unit" DECIMAL(78,0),
    "revenue_bps" INTEGER,
    "exclusive" BOOLEAN NOT NULL DEFAULT false,
    "duration_seconds" INTEGER NOT NULL,
    "status" "OfferStatus" NOT NULL DEFAULT 'open',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "offer_datasets" (
    "offer_id" UUID NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "weight_bps" INTEGER NOT NULL,

    CONSTRAINT "offer_datasets_pkey" PRIMARY KEY ("offer_id","dataset_id")
);

-- CreateTable
CREATE TABLE "licenses" (
    "id" TEXT NOT NULL,
    "offer_id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "model" "LicenseModel" NOT NULL,
    "token" TEXT NOT NULL,
    "scope" "ConsentScope" NOT NULL,
    "price" DECIMAL(78,0),
    "period_seconds" INTEGER,
    "rate_per_unit" DECIMAL(78,0),
    "revenue_bps" INTEGER,
    "exclusive" BOOLEAN NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "status" "LicenseStatus" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "licenses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "license_datasets" (
    "license_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "weight_bps" INTEGER NOT NULL,

    CONSTRAINT "license_datasets_pkey" PRIMARY KEY ("license_id","dataset_id")
);

-- CreateTable
CREATE TABLE "deposits" (
    "id" UUID NOT NULL,
    "license_id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "payer" TEXT NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "state" "DepositState" NOT NULL DEFAULT 'pending',
    "settled_epoch" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deposits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_events" (
    "buyer_id" UUID NOT NULL,
    "license_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "item_ref" TEXT NOT NULL,
    "units" DECIMAL(78,0) NOT NULL,
    "occurred_at" TIMESTAMP(3) NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_events_pkey" PRIMARY KEY ("buyer_id","idempotency_key")
);

-- CreateTable
CREATE TABLE "epochs" (
    "id" INTEGER NOT NULL,
    "starts_at" TIMESTAMP(3) NOT NULL,
    "ends_at" TIMESTAMP(3) NOT NULL,
    "status" "EpochStatus" NOT NULL DEFAULT 'computed',
    "root" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "totals" JSONB NOT NULL,
    "leaf_count" INTEGER NOT NULL,
    "report" JSONB NOT NULL,
    "state" JSONB NOT NULL,
    "distribution" BYTEA NOT NULL,
    "tx_hash" TEXT,
    "closed_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "epochs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "allocations" (
    "epoch_id" INTEGER NOT NULL,
    "account" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,
    "cumulative" DECIMAL(78,0) NOT NULL,
    "leaf_index" INTEGER NOT NULL,

    CONSTRAINT "allocations_pkey" PRIMARY KEY ("epoch_id","account","token")
);

-- CreateTable
CREATE TABLE "claimed_totals" (
    "account" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "claimed" DECIMAL(78,0) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "claimed_totals_pkey" PRIMARY KEY ("account","token")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_address_idx" ON "sessions"("address");

-- CreateIndex
CREATE UNIQUE INDEX "creators_address_key" ON "creators"("address");

-- CreateIndex
CREATE INDEX "datasets_owner_id_idx" ON "datasets"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "consent_records_receipt_hash_key" ON "consent_records"("receipt_hash");

-- CreateIndex
CREATE INDEX "consent_records_dataset_id_scope_idx" ON "consent_records"("dataset_id", "scope");

-- CreateIndex
CREATE UNIQUE INDEX "buyers_address_key" ON "buyers"("address");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_buyer_id_idx" ON "api_keys"("buyer_id");

-- CreateIndex
CREATE INDEX "licenses_buyer_id_idx" ON "licenses"("buyer_id");

-- CreateIndex
CREATE INDEX "license_datasets_dataset_id_idx" ON "license_datasets"("dataset_id");

-- CreateIndex
CREATE INDEX "deposits_license_id_state_idx" ON "deposits"("license_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "deposits_tx_hash_log_index_key" ON "deposits"("tx_hash", "log_index");

-- CreateIndex
CREATE INDEX "usage_events_occurred_at_idx" ON "usage_events"("occurred_at");

-- CreateIndex
CREATE INDEX "allocations_account_idx" ON "allocations"("account");

-- CreateIndex
CREATE UNIQUE INDEX "allocations_epoch_id_leaf_index_key" ON "allocations"("epoch_id", "leaf_index");

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "creators"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contributor_shares" ADD CONSTRAINT "contributor_shares_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_records" ADD CONSTRAINT "consent_records_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "offers" ADD CONSTRAINT "offers_creator_id_fkey" FOREIGN KEY ("creator_id") REFERENCES "creators"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "offer_datasets" ADD CONSTRAINT "offer_datasets_offer_id_fkey" FOREIGN KEY ("offer_id") REFERENCES "offers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "offer_datasets" ADD CONSTRAINT "offer_datasets_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_offer_id_fkey" FOREIGN KEY ("offer_id") REFERENCES "offers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "buyers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_datasets" ADD CONSTRAINT "license_datasets_license_id_fkey" FOREIGN KEY ("license_id") REFERENCES "licenses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "license_datasets" ADD CONSTRAINT "license_datasets_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deposits" ADD CONSTRAINT "deposits_license_id_fkey" FOREIGN KEY ("license_id") REFERENCES "licenses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_epoch_id_fkey" FOREIGN KEY ("epoch_id") REFERENCES "epochs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- The audit log is append-only: rows can be added, never changed or removed.
-- The PostgreSQL driver adapter splits migration scripts on every semicolon, so the function body spells its
-- semicolons as the octal escape \073 inside an E'' string instead of using a dollar-quoted body.
CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN RAISE EXCEPTION ''audit_log is append-only''\073 END\073';

CREATE TRIGGER "audit_log_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
