-- CreateTable
CREATE TABLE "license_open_usage" (
    "license_id" TEXT NOT NULL,
    "base_epoch" INTEGER NOT NULL,
    "latest_epoch" INTEGER NOT NULL,
    "units" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "license_open_usage_pkey" PRIMARY KEY ("license_id")
);
