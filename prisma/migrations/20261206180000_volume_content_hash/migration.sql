-- Compressor-independent identity of stored volumes and masks: sha256 of the uncompressed NIfTI
-- bytes, kept beside the key (the sha256 of the gzipped file, which still checks the file on
-- every read). A merge compares these, so a change of compressor or level does not make stored
-- series look changed. Rows stored before stay null; a merge computes theirs from the stored file
-- and fills it in (lib/server/studies/merge-study.ts; docs/migrations.md).
-- AlterTable
ALTER TABLE "ImageSeries" ADD COLUMN     "volumeContentSha256" TEXT;

-- AlterTable
ALTER TABLE "PhysicianStructure" ADD COLUMN     "maskContentSha256" TEXT;
