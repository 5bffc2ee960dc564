-- Per-site structure-name rules as versions (lib/server/structure-roles; docs/structure-roles.md):
-- each admin save writes the whole ordered rule list as a new version; versions are never
-- updated or deleted (lib/server/startup/grant-app-role.ts lists the table as append-only).
-- CreateTable
CREATE TABLE "StructureRuleVersion" (
    "version" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" TEXT,
    "userEmail" TEXT,
    "change" TEXT NOT NULL,
    "rules" JSONB NOT NULL,

    CONSTRAINT "StructureRuleVersion_pkey" PRIMARY KEY ("version")
);
