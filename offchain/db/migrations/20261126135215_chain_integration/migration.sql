-- CreateEnum
CREATE TYPE "PublicationState" AS ENUM ('submitted', 'mined', 'claimable', 'vetoed', 'failed');

-- CreateTable
CREATE TABLE "chain_cursors" (
    "id" TEXT NOT NULL,
    "next_block" BIGINT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "chain_cursors_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chain_binding" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "chain_id" INTEGER NOT NULL,
    "genesis_hash" TEXT NOT NULL,
    "splitter_address" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chain_binding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "epoch_publications" (
    "epoch_id" INTEGER NOT NULL,
    "state" "PublicationState" NOT NULL,
    "nonce" INTEGER,
    "tx_hash" TEXT,
    "raw_tx" TEXT,
    "max_fee_per_gas" DECIMAL(78,0),
    "max_priority_fee_per_gas" DECIMAL(78,0),
    "attempts" JSONB NOT NULL DEFAULT '[]',
    "submitted_at" TIMESTAMP(3),
    "mined_tx_hash" TEXT,
    "mined_block" BIGINT,
    "ready_at" TIMESTAMP(3),
    "failure_code" TEXT,
    "failure_message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "epoch_publications_pkey" PRIMARY KEY ("epoch_id")
);

-- CreateIndex
CREATE INDEX "epoch_publications_state_idx" ON "epoch_publications"("state");
