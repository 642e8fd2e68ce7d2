-- AlterTable
ALTER TABLE "usage_events" ADD COLUMN     "commitment_leaf" BYTEA,
ADD COLUMN     "commitment_salt" BYTEA;
