using System.IO.Compression;
using Microsoft.ML;

namespace Platform.Training.Artifacts;

/// <summary>Saves a model with its data loader as a reproducible zip.</summary>
internal static class ModelZip
{
    // The earliest time a zip entry can carry.
    private static readonly DateTimeOffset FixedTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// ML.NET stamps every zip entry with the time of saving, so two identical models would differ
    /// in bytes and checksum. Save to a scratch file, then copy the entries, in order, into the
    /// final zip with one fixed timestamp: the same model gives the same bytes, hashed on the way out.
    /// </summary>
    public static TrainingArtifact Save<TSource>(MLContext ml, ITransformer model, IDataLoader<TSource> loader, string path)
    {
        var scratch = path + ".tmp";
        try
        {
            using (var stream = File.Create(scratch))
                ml.Model.Save(model, loader, stream);

            using var source = ZipFile.OpenRead(scratch);
            using var output = new HashingFileStream(path);
            using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var entry in source.Entries)
                {
                    var copy = target.CreateEntry(entry.FullName, CompressionLevel.Optimal);
                    copy.LastWriteTime = FixedTimestamp;
                    using var from = entry.Open();
                    using var to = copy.Open();
                    from.CopyTo(to);
                }
            }
            return output.Complete();
        }
        finally
        {
            File.Delete(scratch);
        }
    }
}
