-- Distribution files move out of the epoch row into the content-addressed file store (offchain/files): the row keeps
-- the content hash (already there) and the size. Existing rows keep their bytes until the service moves them to the
-- store on first read, so nothing is lost by this migration.
-- AlterTable
ALTER TABLE "epochs" ADD COLUMN     "distribution_size" BIGINT,
ALTER COLUMN "distribution" DROP NOT NULL;
UPDATE "epochs" SET "distribution_size" = length("distribution");
ALTER TABLE "epochs" ALTER COLUMN "distribution_size" SET NOT NULL;
