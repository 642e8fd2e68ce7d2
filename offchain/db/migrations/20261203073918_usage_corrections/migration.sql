-- AlterTable
ALTER TABLE "usage_events" ADD COLUMN     "voided_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "usage_corrections" (
    "buyer_id" UUID NOT NULL,
    "correction_key" TEXT NOT NULL,
    "license_id" TEXT NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "event_key" TEXT NOT NULL,
    "units" DECIMAL(78,0) NOT NULL,
    "previous_units" DECIMAL(78,0) NOT NULL,
    "replacement_key" TEXT,
    "credit" DECIMAL(78,0),
    "settled_epoch" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_corrections_pkey" PRIMARY KEY ("buyer_id","correction_key")
);

-- CreateIndex
CREATE INDEX "usage_corrections_buyer_id_event_key_idx" ON "usage_corrections"("buyer_id", "event_key");

-- CreateIndex
CREATE INDEX "usage_corrections_settled_epoch_idx" ON "usage_corrections"("settled_epoch");
