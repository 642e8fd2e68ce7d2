-- AlterEnum
ALTER TYPE "LicenseStatus" ADD VALUE 'cancelled';

-- AlterTable
ALTER TABLE "licenses" ADD COLUMN     "cancelled_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "usage_events" ADD COLUMN     "billable_at" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "usage_events_billable_at_idx" ON "usage_events"("billable_at");
