-- AlterTable
ALTER TABLE "epochs" ADD COLUMN     "usage_root" TEXT,
ADD COLUMN     "usage_secret" TEXT;
