-- AlterEnum
ALTER TYPE "LicenseStatus" ADD VALUE 'cancelled';

-- AlterTable
ALTER TABLE "licenses" ADD COLUMN     "cancelled_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "usage_events_received_at_idx" ON "usage_events"("received_at");
