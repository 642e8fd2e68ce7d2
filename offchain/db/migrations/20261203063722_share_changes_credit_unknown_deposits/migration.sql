-- DropForeignKey
ALTER TABLE "deposits" DROP CONSTRAINT "deposits_license_id_fkey";

-- AlterTable
ALTER TABLE "licenses" ADD COLUMN     "credit_limit" DECIMAL(78,0) NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "offers" ADD COLUMN     "credit_limit" DECIMAL(78,0) NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "share_changes" (
    "id" UUID NOT NULL,
    "dataset_id" TEXT NOT NULL,
    "shares" JSONB NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "effective_at" TIMESTAMP(3) NOT NULL,
    "affected" TEXT[],
    "approved_by" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "share_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "share_changes_effective_at_idx" ON "share_changes"("effective_at");

-- CreateIndex
CREATE UNIQUE INDEX "share_changes_dataset_id_effective_at_key" ON "share_changes"("dataset_id", "effective_at");

-- AddForeignKey
ALTER TABLE "share_changes" ADD CONSTRAINT "share_changes_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
