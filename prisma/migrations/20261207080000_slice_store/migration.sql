-- The viewer's slice store (issue #19, docs/viewer.md "First image"): each CT series' axial
-- slices stored separately (lib/server/storage/slice-store.ts), so the first image reads and
-- checks one slice rather than the whole .nii.gz. The column holds the sha256 of the store's
-- manifest (which lists each slice file's sha256); null until the store is built.
-- AlterTable
ALTER TABLE "ImageSeries" ADD COLUMN "sliceManifestSha256" TEXT;
