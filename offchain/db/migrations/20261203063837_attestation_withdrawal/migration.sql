-- AlterTable
ALTER TABLE "revocation_notices" ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'consent';

-- AlterTable
ALTER TABLE "rights_attestations" ADD COLUMN     "withdrawn_at" TIMESTAMP(3);
