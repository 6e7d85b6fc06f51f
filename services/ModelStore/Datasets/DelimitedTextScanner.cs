using System.Text;
using Platform.ModelStore.Datasets.Profiling;
using Platform.Contracts;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Reads a CSV or TSV file as it streams past, chunk by chunk, validates it and profiles every column
/// (<see cref="ColumnProfiler"/>). It holds no more than one field prefix and one chunk of text at a time, plus
/// each column's summaries within its share of <see cref="DatasetLimits.ProfileMemoryBytes"/>, so a file of any size
/// and width is checked in bounded memory. More columns than <see cref="DatasetLimits.MaxColumns"/> are refused while
/// the header is read, before any profile exists; more rows than <see cref="DatasetLimits.MaxRows"/> at the first one
/// past the limit.
/// </summary>
/// <remarks>
/// CSV is RFC 4180: comma separated, a header row, fields optionally quoted with <c>"</c> (inside
/// which commas, line breaks and <c>""</c> for a quote are data), records ending in CRLF or LF (a lone CR
/// also ends a record), an empty field meaning a missing value. Lines with no characters at all are skipped
/// wherever they appear, as pandas does. A quote inside an unquoted field is kept as data (<c>5'6"</c>);
/// anything but a comma or line break after a closing quote is an error. TSV is the same with a tab as the
/// separator and no quoting at all (a <c>"</c> is data; a field cannot hold a tab or a line break). The text must
/// be UTF-8 (a leading byte-order mark is dropped); a NUL byte means the upload is binary. Every error names the
/// row (data rows counted from 1, the header not counted, plus the physical line) and the column.
/// </remarks>
public sealed class DelimitedTextScanner : IDatasetScanner
{
    /// <summary>Longest column name, in characters; also how much of a value is kept for profiling.</summary>
    public const int MaxColumnNameLength = 1_000;

    private readonly char _separator;
    private readonly bool _quoting;
    private readonly string _formatName;
    private readonly IReadOnlyDictionary<string, DatasetColumnType> _overrides;
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _text = new char[16 * 1024];
    private readonly char[] _value = new char[MaxColumnNameLength];
    private readonly DatasetLimits _limits;
    // The header's names as they are read; the profilers start once the header ends and their number is known.
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _columnIndex = new(StringComparer.Ordinal);
    private List<ColumnProfiler> _columns = [];
    private LabelAssociation? _association;

    private State _state = State.FieldStart;
    private bool _inHeader = true;
    private bool _skipLineFeed;
    private bool _atFirstCharacter = true;
    private bool _completed;
    private int _valueLength;
    private long _valueFullLength;
    private bool _valueTruncated;
    private int _fieldIndex;
    private long _byteCount;
    private long _line = 1;
    private long _recordLine = 1;
    private long _rowCount;

    /// <summary>A CSV (RFC 4180) scanner.</summary>
    public static DelimitedTextScanner Csv(IReadOnlyDictionary<string, DatasetColumnType>? overrides = null, DatasetLimits? limits = null) =>
        new(',', quoting: true, "CSV", overrides, limits);

    /// <summary>A TSV scanner: tab separated, no quoting.</summary>
    public static DelimitedTextScanner Tsv(IReadOnlyDictionary<string, DatasetColumnType>? overrides = null, DatasetLimits? limits = null) =>
        new('\t', quoting: false, "TSV", overrides, limits);

    private DelimitedTextScanner(
        char separator, bool quoting, string formatName, IReadOnlyDictionary<string, DatasetColumnType>? overrides, DatasetLimits? limits)
    {
        _separator = separator;
        _quoting = quoting;
        _formatName = formatName;
        _overrides = overrides ?? new Dictionary<string, DatasetColumnType>();
        _limits = limits ?? new DatasetLimits();
    }

    private enum State
    {
        /// <summary>Before the first character of a field.</summary>
        FieldStart,
        /// <summary>Inside a field that did not start with a quote.</summary>
        Unquoted,
        /// <summary>Inside a quoted field.</summary>
        Quoted,
        /// <summary>Inside a quoted field, right after a quote: either an escaped quote or the closing one.</summary>
        QuoteInQuoted,
    }

    /// <summary>Also feeds every row to <paramref name="association"/> (a label analysis; its columns must be the file's).</summary>
    internal DelimitedTextScanner WithAssociation(LabelAssociation association)
    {
        _association = association;
        association.BeginBlock(1);
        return this;
    }

    /// <summary>Scans the next bytes of the file.</summary>
    /// <exception cref="DatasetFormatException">The bytes so far are not a valid data set.</exception>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_completed) throw new InvalidOperationException("The scan is complete.");
        RejectBinary(bytes);
        Decode(bytes, flush: false);
        _byteCount += bytes.Length;
    }

    /// <inheritdoc />
    public Task<DatasetScan> CompleteAsync(Func<Stream> openFile, CancellationToken cancellationToken) => Task.FromResult(Complete());

    /// <summary>Ends the file and returns its profile.</summary>
    /// <exception cref="DatasetFormatException">
    /// The file is empty, has no data rows, ends inside a quoted field, or a column_types override contradicts a value.
    /// </exception>
    public DatasetScan Complete()
    {
        if (_completed) throw new InvalidOperationException("The scan is complete.");
        Decode([], flush: true);
        _completed = true;

        switch (_state)
        {
            case State.Quoted:
                throw Error($"{Where()}: a quoted field is not closed before the end of the file");
            case State.Unquoted or State.QuoteInQuoted:
                EndField();
                EndRecord();
                break;
            case State.FieldStart when _fieldIndex > 0:
                // The last record ends in a comma without a line break: its last field is empty.
                EndField();
                EndRecord();
                break;
        }

        if (_inHeader)
            throw new DatasetFormatException("dataset is empty", row: null, line: _line);
        if (_rowCount == 0)
            throw new DatasetFormatException("dataset has a header but no data rows", row: null, line: _line);

        return ProfileAssembler.Assemble(_columns, _rowCount, _overrides);
    }

    private void RejectBinary(ReadOnlySpan<byte> bytes)
    {
        // Text never holds a NUL byte and nearly every binary format (zip, xlsx, Parquet, PNG, gzip) has one
        // within its first bytes; other control characters do turn up in real text (mail bodies), so they pass.
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new DatasetFormatException(
                $"dataset is not {_formatName}: it contains binary data (a NUL byte at offset {_byteCount + nul})",
                row: null, line: _line);
        }
    }

    private void Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var consumed = 0;
        bool completed;
        do
        {
            int bytesUsed, charsUsed;
            try
            {
                _decoder.Convert(bytes[consumed..], _text, flush, out bytesUsed, out charsUsed, out completed);
            }
            catch (DecoderFallbackException ex)
            {
                var offset = Math.Max(0, _byteCount + consumed + ex.Index);
                throw new DatasetFormatException(
                    $"dataset is not UTF-8 text: invalid byte sequence at offset {offset} (save the file as UTF-8)",
                    row: null, line: _line);
            }
            consumed += bytesUsed;
            Scan(_text.AsSpan(0, charsUsed));
        }
        while (!completed);
    }

    private void Scan(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (_atFirstCharacter)
            {
                _atFirstCharacter = false;
                if (c == '\uFEFF') continue;
            }

            if (_skipLineFeed)
            {
                _skipLineFeed = false;
                if (c == '\n') continue;
            }

            switch (_state)
            {
                case State.FieldStart:
                    if (c == '"' && _quoting)
                    {
                        _state = State.Quoted;
                    }
                    else if (c == _separator)
                    {
                        EndField();
                    }
                    else if (c is '\r' or '\n')
                    {
                        if (_fieldIndex == 0)
                        {
                            // A line with nothing on it: skipped, not a record.
                            NewLine(c);
                            _recordLine = _line;
                        }
                        else
                        {
                            EndField();
                            EndRecord();
                            NewLine(c);
                            _recordLine = _line;
                        }
                    }
                    else
                    {
                        AppendToValue(c);
                        _state = State.Unquoted;
                    }
                    break;

                case State.Unquoted:
                    if (c == _separator)
                    {
                        EndField();
                        _state = State.FieldStart;
                    }
                    else if (c is '\r' or '\n')
                    {
                        EndField();
                        EndRecord();
                        NewLine(c);
                        _recordLine = _line;
                        _state = State.FieldStart;
                    }
                    else
                    {
                        AppendToValue(c);
                    }
                    break;

                case State.Quoted:
                    if (c == '"')
                    {
                        _state = State.QuoteInQuoted;
                    }
                    else
                    {
                        if (c is '\r' or '\n') NewLine(c);
                        AppendToValue(c);
                    }
                    break;

                case State.QuoteInQuoted:
                    if (c == '"')
                    {
                        AppendToValue('"');
                        _state = State.Quoted;
                    }
                    else if (c == _separator)
                    {
                        EndField();
                        _state = State.FieldStart;
                    }
                    else if (c is '\r' or '\n')
                    {
                        EndField();
                        EndRecord();
                        NewLine(c);
                        _recordLine = _line;
                        _state = State.FieldStart;
                    }
                    else
                    {
                        throw Error($"{Where()}: unexpected character {Echo.Quote(c)} after a closing quote (a quote inside a quoted field is written \"\")");
                    }
                    break;
            }
        }
    }

    private void NewLine(char c)
    {
        _line++;
        // CRLF is one line break: the LF right after a CR is swallowed.
        if (c == '\r') _skipLineFeed = true;
    }

    private void AppendToValue(char c)
    {
        _valueFullLength++;
        if (_valueLength < _value.Length)
            _value[_valueLength++] = c;
        else
            _valueTruncated = true;
    }

    private void EndField()
    {
        var value = _value.AsSpan(0, _valueLength);
        if (_inHeader)
            AddColumn(value);
        else if (_fieldIndex < _columns.Count)
        {
            _columns[_fieldIndex].Observe(value, _valueTruncated, _valueFullLength, _recordLine);
            _association?.Column(_fieldIndex).Observe(value, _valueTruncated, _valueFullLength, _recordLine);
        }
        // Fields beyond the header's count are only counted; EndRecord reports them.

        _fieldIndex++;
        _valueLength = 0;
        _valueFullLength = 0;
        _valueTruncated = false;
    }

    private void AddColumn(ReadOnlySpan<char> value)
    {
        var number = _fieldIndex + 1;
        if (_names.Count == _limits.MaxColumns)
            throw Error($"the header (line {_recordLine}) has more than {_limits.MaxColumns} columns, the most a data set may have " +
                        $"(ModelStore:Datasets:MaxColumns = {_limits.MaxColumns})");
        if (_valueTruncated)
            throw Error($"the header (line {_recordLine}): column {number} has a name longer than {MaxColumnNameLength} characters");
        var name = ColumnNames.Validate(value, number, _recordLine);
        if (!_columnIndex.TryAdd(name, _fieldIndex))
            throw Error($"the header (line {_recordLine}): column {number} {Echo.Quote(name)} has the same name as column {_columnIndex[name] + 1}");
        _names.Add(name);
    }

    private void EndRecord()
    {
        if (_inHeader)
        {
            _inHeader = false;
            ProfileAssembler.CheckOverrideNames(_names, _overrides);
            var budget = ProfileBudget.For(_limits.ProfileMemoryBytes, _names.Count);
            _columns = _names.Select(name => new ColumnProfiler(name, ColumnSource.Text, budget)).ToList();
        }
        else
        {
            if (_fieldIndex != _columns.Count)
            {
                throw Error($"row {_rowCount + 1} (line {_recordLine}) has {_fieldIndex} field{(_fieldIndex == 1 ? "" : "s")}, " +
                            $"the header has {_columns.Count}");
            }
            if (_rowCount == _limits.MaxRows)
                throw Error($"row {_rowCount + 1} (line {_recordLine}) is past the most rows a data set may have " +
                            $"(ModelStore:Datasets:MaxRows = {_limits.MaxRows})");
            _rowCount++;
            if (_association is { } association)
            {
                association.EndBlock();
                association.BeginBlock(1);
            }
        }
        _fieldIndex = 0;
    }

    private string Where()
    {
        var column = _inHeader || _fieldIndex >= _columns.Count
            ? $"field {_fieldIndex + 1}"
            : $"column {Echo.Quote(_columns[_fieldIndex].Name)}";
        return _inHeader
            ? $"the header (line {_recordLine}), {column}"
            : $"row {_rowCount + 1} (line {_recordLine}), {column}";
    }

    // Errors arise inside a record, which is data row _rowCount + 1 (rows count from 1 after the header).
    private DatasetFormatException Error(string message) =>
        new(message, row: _inHeader ? null : _rowCount + 1, line: _recordLine);
}
