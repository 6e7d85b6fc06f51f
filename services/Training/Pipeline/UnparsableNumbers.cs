using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Platform.Training.Data;
using Platform.Contracts;

namespace Platform.Training.Pipeline;

/// <summary>
/// ML.NET's text loader reads a field that is not a number in a numeric column as NaN, which training would
/// then treat as a missing value and silently fill in. The loader does report each such field (the first few,
/// by line) on its context's log, at no cost to the read; this watches that log while the rows are first read,
/// so the run fails naming the column, the line and the value instead.
/// </summary>
internal sealed partial class UnparsableNumbers : IDisposable
{
    private readonly MLContext _ml;
    private readonly DatasetFile _data;
    private readonly Lock _lock = new();
    private (long Line, string Column)? _first;

    private UnparsableNumbers(MLContext ml, DatasetFile data)
    {
        _ml = ml;
        _data = data;
        _ml.Log += OnLog;
    }

    /// <summary>Starts watching the loader's reports on <paramref name="ml"/> (the context that loads <paramref name="data"/>).</summary>
    public static UnparsableNumbers Watch(MLContext ml, DatasetFile data) => new(ml, data);

    /// <summary>Throws a <see cref="TrainingDataException"/> for the first field seen that is not a number, if any.</summary>
    public void ThrowIfFound()
    {
        (long Line, string Column)? first;
        lock (_lock) first = _first;
        if (first is not { } found) return;
        // A sensitive column's value is never repeated: the reason is stored, shown and logged.
        var sensitive = _data.Columns.Any(c => c.Name == found.Column && c.Sensitive);
        var value = !sensitive && FieldAt(found.Line, found.Column) is { } text ? $" holds {Echo.Quote(text)}, which" : "'s value";
        throw new TrainingDataException(found.Column,
            $"Column {Echo.Quote(found.Column)} is numeric, but line {found.Line} of the file{value} is not a number: " +
            "fix the value, or type the column as categorical or text when uploading the data set.");
    }

    public void Dispose() => _ml.Log -= OnLog;

    private void OnLog(object? sender, LoggingEventArgs e)
    {
        if (e.Kind != ChannelMessageKind.Info || BadValue().Match(e.Message) is not { Success: true } match) return;
        var line = long.Parse(match.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        lock (_lock)
        {
            // Parallel cursors may report out of order: keep the earliest line.
            if (_first is null || line < _first.Value.Line) _first = (line, match.Groups["column"].Value);
        }
    }

    /// <summary>The field of <paramref name="column"/> on physical line <paramref name="line"/>, when that line holds one whole record.</summary>
    private string? FieldAt(long line, string column)
    {
        var index = _data.Columns.Select(c => c.Name).ToList().IndexOf(column);
        var text = File.ReadLines(_data.Path).Skip((int)Math.Min(line - 1, int.MaxValue)).FirstOrDefault();
        if (index < 0 || text is null) return null;
        if (_data.Format == DatasetFormat.Tsv)
        {
            var cells = text.Split('\t');
            return cells.Length == _data.Columns.Count ? cells[index] : null;
        }
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') field.Append(text[++i]);
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return !quoted && fields.Count == _data.Columns.Count ? fields[index] : null;
    }

    // ML.NET 5's TextLoader: "Bad value at line {0} in column {1}" (", at slot {2}" for vectors). A test pins it.
    [GeneratedRegex(@"Bad value at line (?<line>\d+) in column (?<column>.+?)(?: at slot \d+)?$")]
    private static partial Regex BadValue();
}
