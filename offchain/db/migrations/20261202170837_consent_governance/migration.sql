-- CreateEnum
CREATE TYPE "WebhookDeliveryState" AS ENUM ('pending', 'delivered', 'failed');

-- AlterTable
ALTER TABLE "licenses" ADD COLUMN     "consent_basis" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "terms_hash" TEXT;

-- AlterTable
ALTER TABLE "offers" ADD COLUMN     "terms_hash" TEXT;

-- CreateTable
CREATE TABLE "rights_attestations" (
    "id" UUID NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "scope" "ConsentScope" NOT NULL,
    "signer" TEXT NOT NULL,
    "statement" TEXT NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "signature" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rights_attestations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "revocation_notices" (
    "seq" BIGSERIAL NOT NULL,
    "consent_id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "license_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "item_ref" TEXT,
    "scope" "ConsentScope" NOT NULL,
    "revoked_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "revocation_notices_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[],
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMP(3),

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "state" "WebhookDeliveryState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMP(3),
    "last_status" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "rights_attestations_dataset_id_scope_idx" ON "rights_attestations"("dataset_id", "scope");

-- CreateIndex
CREATE INDEX "revocation_notices_buyer_id_seq_idx" ON "revocation_notices"("buyer_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "revocation_notices_consent_id_license_id_key" ON "revocation_notices"("consent_id", "license_id");

-- CreateIndex
CREATE INDEX "webhook_endpoints_owner_idx" ON "webhook_endpoints"("owner");

-- CreateIndex
CREATE INDEX "webhook_deliveries_state_next_attempt_at_idx" ON "webhook_deliveries"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_idx" ON "webhook_deliveries"("endpoint_id", "created_at");

-- AddForeignKey
ALTER TABLE "rights_attestations" ADD CONSTRAINT "rights_attestations_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
