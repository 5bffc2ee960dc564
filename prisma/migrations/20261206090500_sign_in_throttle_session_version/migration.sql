-- Hand-written (issue 13): a session version per user, checked on every request, so that sign-out,
-- deactivation and a role change end the sessions already issued; and a per-address sign-in
-- counter beside the per-account one.
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "sessionVersion" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "SignInThrottle" (
    "address" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SignInThrottle_pkey" PRIMARY KEY ("address")
);
