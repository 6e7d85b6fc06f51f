using Parquet;
using Platform.ModelStore.Datasets.Profiling;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Reads a stored data set once more to measure how each column alone predicts a label (<see cref="LabelAssociation"/>).
/// It runs the first time a profile is asked for with that label, and the result is stored with the profile, so the
/// file is read once per label, not once per request.
/// </summary>
public static class LabelAnalysisScan
{
    /// <summary>The analysis, or null with the reason none is made (too many classes).</summary>
    /// <param name="format">The data set's format.</param>
    /// <param name="profile">Its stored profile (the columns' types, value counts and quantiles).</param>
    /// <param name="label">The label column.</param>
    /// <param name="memoryBytes">What the pass may hold besides the file reader (<c>ModelStore:Datasets:ProfileMemoryBytes</c>).</param>
    /// <param name="readChunks">The stored bytes in order (CSV, TSV).</param>
    /// <param name="openFile">Opens the stored file for random access (Parquet).</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public static async Task<(StoredLabelAnalysis? Analysis, string? Skipped)> RunAsync(
        DatasetFileFormat format, StoredProfile profile, string label, long memoryBytes,
        Func<IAsyncEnumerable<ReadOnlyMemory<byte>>> readChunks, Func<Stream> openFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(readChunks);
        ArgumentNullException.ThrowIfNull(openFile);
        var types = profile.Columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
        // No limits: the data set was accepted under the limits of its day.
        var limits = new DatasetLimits { MaxBytes = long.MaxValue, MaxRows = long.MaxValue, MaxColumns = ProfileBudget.ColumnsCeiling, ProfileMemoryBytes = memoryBytes };
        if (format != DatasetFileFormat.Parquet)
        {
            var (pass, skipped) = LabelAssociation.Start(profile, label, memoryBytes, blockCapacity: 1, labelsFirst: false);
            if (pass is null) return (null, skipped);
            var scanner = (format == DatasetFileFormat.Tsv ? DelimitedTextScanner.Tsv(types, limits) : DelimitedTextScanner.Csv(types, limits))
                .WithAssociation(pass);
            await foreach (var chunk in readChunks().WithCancellation(cancellationToken))
                scanner.Append(chunk.Span);
            scanner.Complete();
            return (pass.Complete(), null);
        }

        await using var stream = openFile();
        await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken);
        var fields = ParquetScanner.Columns(reader.Schema, ProfileBudget.ColumnsCeiling);
        var largestGroup = Enumerable.Range(0, reader.RowGroupCount).Select(g => reader.RowGroups[g].RowCount).DefaultIfEmpty(1).Max();
        var (association, reason) = LabelAssociation.Start(profile, label, memoryBytes, checked((int)largestGroup), labelsFirst: true);
        if (association is null) return (null, reason);
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            using var rowGroup = reader.OpenRowGroupReader(group);
            var count = checked((int)rowGroup.RowCount);
            association.BeginBlock(count);
            var labelIndex = association.LabelIndex;
            await ParquetScanner.ReadColumnAsync(rowGroup, fields[labelIndex].Field, count, association.Column(labelIndex), cancellationToken);
            for (var i = 0; i < fields.Count; i++)
                if (i != labelIndex) await ParquetScanner.ReadColumnAsync(rowGroup, fields[i].Field, count, association.Column(i), cancellationToken);
            association.EndBlock();
        }
        return (association.Complete(), null);
    }
}
