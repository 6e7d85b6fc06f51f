using System.Globalization;
using System.Text;

namespace Platform.ModelStore.Datasets;

/// <summary>
/// Reads a CSV file as it streams past, chunk by chunk, and profiles it: column names, the number of
/// data rows, each column's type and missing count. It holds no more than one field prefix and one chunk
/// of text at a time, so a file of any size is checked in bounded memory.
/// </summary>
/// <remarks>
/// The dialect is RFC 4180: comma separated, a header row, fields optionally quoted with <c>"</c> (inside
/// which commas, line breaks and <c>""</c> for a quote are data), records ending in CRLF or LF (a lone CR
/// also ends a record), an empty field meaning a missing value. Lines with no characters at all are skipped
/// wherever they appear, as pandas does. A quote inside an unquoted field is kept as data (<c>5'6"</c>);
/// anything but a comma or line break after a closing quote is an error. The text must be UTF-8 (a leading
/// byte-order mark is dropped); a NUL byte means the upload is binary, not CSV. Every error names the row
/// (data rows counted from 1, the header not counted, plus the physical line) and the column.
/// </remarks>
public sealed class CsvSchemaScanner
{
    /// <summary>Most columns a data set may have.</summary>
    public const int MaxColumns = 10_000;

    /// <summary>Longest column name, in characters.</summary>
    public const int MaxColumnNameLength = 1_000;

    // A value longer than this is no number or boolean anyone writes, so only this much is kept for
    // type inference; it keeps memory flat when a single field is megabytes of text.
    private const int MaxTypedValueLength = 128;

    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _text = new char[16 * 1024];
    private readonly char[] _value = new char[MaxColumnNameLength];
    private readonly List<ColumnStatistics> _columns = [];
    private readonly Dictionary<string, int> _columnIndex = new(StringComparer.Ordinal);

    private State _state = State.FieldStart;
    private bool _inHeader = true;
    private bool _skipLineFeed;
    private bool _atFirstCharacter = true;
    private bool _completed;
    private int _valueLength;
    private bool _valueTruncated;
    private int _fieldIndex;
    private long _byteCount;
    private long _line = 1;
    private long _recordLine = 1;
    private long _rowCount;

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

    /// <summary>Scans the next bytes of the file.</summary>
    /// <exception cref="CsvFormatException">The bytes so far are not a valid CSV data set.</exception>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_completed) throw new InvalidOperationException("The scan is complete.");
        RejectBinary(bytes);
        Decode(bytes, flush: false);
        _byteCount += bytes.Length;
    }

    /// <summary>Ends the file and returns its profile.</summary>
    /// <exception cref="CsvFormatException">The file is empty, has no data rows or ends inside a quoted field.</exception>
    public DatasetProfile Complete()
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
            throw new CsvFormatException("dataset is empty", row: null, line: _line);
        if (_rowCount == 0)
            throw new CsvFormatException("dataset has a header but no data rows", row: null, line: _line);

        var columns = _columns
            .Select(c => new DatasetColumn(c.Name, c.InferredType, c.MissingCount))
            .ToList();
        return new DatasetProfile(columns, _rowCount);
    }

    private void RejectBinary(ReadOnlySpan<byte> bytes)
    {
        // Text never holds a NUL byte and nearly every binary format (zip, xlsx, Parquet, PNG, gzip) has one
        // within its first bytes; other control characters do turn up in real text (mail bodies), so they pass.
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            throw new CsvFormatException(
                $"dataset is not CSV: it contains binary data (a NUL byte at offset {_byteCount + nul})",
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
                throw new CsvFormatException(
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
                    if (c == '"')
                    {
                        _state = State.Quoted;
                    }
                    else if (c == ',')
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
                    if (c == ',')
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
                    else if (c == ',')
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
                        throw Error($"{Where()}: unexpected character '{c}' after a closing quote (a quote inside a quoted field is written \"\")");
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
            _columns[_fieldIndex].Observe(value, _valueTruncated);
        // Fields beyond the header's count are only counted; EndRecord reports them.

        _fieldIndex++;
        _valueLength = 0;
        _valueTruncated = false;
    }

    private void AddColumn(ReadOnlySpan<char> value)
    {
        var number = _fieldIndex + 1;
        if (_valueTruncated)
            throw Error($"the header (line {_recordLine}): column {number} has a name longer than {MaxColumnNameLength} characters");
        if (value.IsWhiteSpace())
            throw Error($"the header (line {_recordLine}): column {number} has an empty name");
        if (_columns.Count == MaxColumns)
            throw Error($"the header (line {_recordLine}) has more than {MaxColumns} columns");

        var name = value.ToString();
        if (!_columnIndex.TryAdd(name, _fieldIndex))
            throw Error($"the header (line {_recordLine}): column {number} '{name}' has the same name as column {_columnIndex[name] + 1}");
        _columns.Add(new ColumnStatistics(name));
    }

    private void EndRecord()
    {
        if (_inHeader)
        {
            _inHeader = false;
        }
        else
        {
            if (_fieldIndex != _columns.Count)
            {
                throw Error($"row {_rowCount + 1} (line {_recordLine}) has {_fieldIndex} field{(_fieldIndex == 1 ? "" : "s")}, " +
                            $"the header has {_columns.Count}");
            }
            _rowCount++;
        }
        _fieldIndex = 0;
    }

    private string Where()
    {
        var column = _inHeader || _fieldIndex >= _columns.Count
            ? $"field {_fieldIndex + 1}"
            : $"column '{_columns[_fieldIndex].Name}'";
        return _inHeader
            ? $"the header (line {_recordLine}), {column}"
            : $"row {_rowCount + 1} (line {_recordLine}), {column}";
    }

    // Errors arise inside a record, which is data row _rowCount + 1 (rows count from 1 after the header).
    private CsvFormatException Error(string message) =>
        new(message, row: _inHeader ? null : _rowCount + 1, line: _recordLine);

    /// <summary>Running type evidence and missing count for one column.</summary>
    private sealed class ColumnStatistics(string name)
    {
        private bool _allNumeric = true;
        private bool _allBoolean = true;

        public string Name { get; } = name;

        public long MissingCount { get; private set; }

        public DatasetColumnType InferredType => _allNumeric
            ? DatasetColumnType.Numeric
            : _allBoolean ? DatasetColumnType.Boolean : DatasetColumnType.Categorical;

        public void Observe(ReadOnlySpan<char> value, bool truncated)
        {
            if (value.IsEmpty)
            {
                MissingCount++;
                return;
            }
            if (truncated || value.Length > MaxTypedValueLength)
            {
                _allNumeric = _allBoolean = false;
                return;
            }
            if (_allNumeric)
                _allNumeric = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            if (_allBoolean)
            {
                var trimmed = value.Trim();
                _allBoolean = trimmed.Equals("true", StringComparison.OrdinalIgnoreCase)
                              || trimmed.Equals("false", StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
