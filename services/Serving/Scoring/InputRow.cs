using Microsoft.ML;
using Microsoft.ML.Data;

namespace Platform.Serving.Scoring;

/// <summary>
/// One input row for ML.NET's row-to-row mapper, refilled for every prediction: what <c>PredictionEngine</c> does with
/// a typed class, here with the model's own input schema, which is only known when the model loads. Each prediction
/// moves <see cref="Position"/> on, which tells ML.NET's transforms that their cached values are stale. Not
/// thread-safe: one per <see cref="ModelScorer"/>.
/// </summary>
internal sealed class InputRow(DataViewSchema schema) : DataViewRow
{
    private readonly double[] _numbers = new double[schema.Count];
    private readonly ReadOnlyMemory<char>[] _texts = new ReadOnlyMemory<char>[schema.Count];
    private long _position = -1;

    public override DataViewSchema Schema { get; } = schema;

    public override long Position => _position;

    public override long Batch => 0;

    /// <summary>Sets the row's values (by input column index) and makes it the next row.</summary>
    public void Fill(ModelInput input, int row)
    {
        input.CopyRow(row, _numbers, _texts);
        _position++;
    }

    public override bool IsColumnActive(DataViewSchema.Column column) => true;

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        var index = column.Index;
        Delegate getter = column.Type.RawType switch
        {
            var t when t == typeof(float) => (ValueGetter<float>)((ref float value) => value = (float)_numbers[index]),
            var t when t == typeof(double) => (ValueGetter<double>)((ref double value) => value = _numbers[index]),
            var t when t == typeof(int) => (ValueGetter<int>)((ref int value) => value = (int)_numbers[index]),
            var t when t == typeof(long) => (ValueGetter<long>)((ref long value) => value = (long)_numbers[index]),
            var t when t == typeof(bool) => (ValueGetter<bool>)((ref bool value) => value = _numbers[index] != 0),
            var t when t == typeof(ReadOnlyMemory<char>) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = _texts[index]),
            _ => throw new InvalidOperationException($"Input column '{column.Name}' has the type {column.Type}, which serving does not fill."),
        };
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Input column '{column.Name}' is {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);
}
