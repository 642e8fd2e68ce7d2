-- AlterEnum
ALTER TYPE "EpochStatus" ADD VALUE 'mined';
