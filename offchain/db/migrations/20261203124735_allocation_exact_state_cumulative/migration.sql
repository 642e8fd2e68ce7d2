-- AlterTable
ALTER TABLE "allocations" ADD COLUMN     "exact" DECIMAL(86,0);

-- Data: the carried state's cumulative list moves into its epoch's allocations (one entry per allocation, same
-- (account, token)), so a database from before keeps closing from the same previous state. Entries without `exact`
-- (states written before it existed) leave it null, which the engine reads as amount × scale, as before.
UPDATE "allocations" a SET "exact" = (c.value->>'exact')::numeric
FROM "epochs" e, jsonb_array_elements(e."state"->'cumulative') c(value)
WHERE a."epoch_id" = e."id" AND a."account" = c.value->>'account' AND a."token" = c.value->>'token'
  AND c.value ? 'exact';
UPDATE "epochs" SET "state" = "state" - 'cumulative' WHERE "state" ? 'cumulative';
