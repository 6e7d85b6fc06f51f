using System.Globalization;

namespace Platform.ModelStore.Datasets.Profiling;

/// <summary>Receives one column's values in row order: a <see cref="ColumnProfiler"/>, or a column of a <see cref="LabelAssociation"/>.</summary>
public interface IColumnObserver
{
    /// <summary>A missing value (empty field, Parquet null).</summary>
    void ObserveMissing();

    /// <summary>A value read as text; empty means missing.</summary>
    void Observe(ReadOnlySpan<char> value, bool truncated, long length, long? line);

    /// <summary>A Parquet number.</summary>
    void ObserveNumber(double value);

    /// <summary>A Parquet date or timestamp (UTC).</summary>
    void ObserveDate(DateTime value);
}

/// <summary>How well each column, alone, tells a label: the facts behind the leakage warnings (docs/datasets.md, "Warnings").</summary>
/// <param name="Label">The label column.</param>
/// <param name="Task">"classification" (the label's classes) or "regression" (a numeric label with many values).</param>
/// <param name="Rows">Rows with a label.</param>
/// <param name="Columns">Every other column, in file order.</param>
public sealed record StoredLabelAnalysis(string Label, string Task, long Rows, IReadOnlyList<ColumnAssociation> Columns);

/// <summary>
/// One column against the label, through the simplest model that uses the column alone: its values (a numeric
/// column with many values: 32 bins of about equal size) are groups, each group predicts its majority class
/// (classification) or its mean (regression). Groups of fewer than <see cref="LabelAssociation.MinGroupRows"/> rows are
/// pooled into one, so a column that is unique per row (an identifier, free text) predicts nothing this way.
/// </summary>
/// <param name="Column">The column.</param>
/// <param name="Groups">Groups of at least <see cref="LabelAssociation.MinGroupRows"/> rows (the pool of smaller ones not counted).</param>
/// <param name="Score">Classification: the share of rows the column's groups predict right. Regression: R² of the group means.</param>
/// <param name="Baseline">Classification: the majority class's share, what predicting without the column gets. Regression: 0.</param>
/// <param name="MutualInformation">Classification: mutual information over the label's entropy (0 = independent, 1 = determines it).</param>
/// <param name="Correlation">Regression with a numeric column: Pearson's r over the rows with both values; otherwise null.</param>
/// <param name="OneToOne">Classification: each group holds one class and each class one group, apart from at most 1% of rows: the column is the label renamed.</param>
public sealed record ColumnAssociation(
    string Column, int Groups, double Score, double Baseline, double MutualInformation, double? Correlation, bool OneToOne);

/// <summary>
/// Measures, in one pass over a data set's rows, how well each column alone predicts a given label
/// (<see cref="StoredLabelAnalysis"/>). Memory is bounded by the profile's budget (<see cref="ProfileBudget"/>): each
/// column tracks at most as many distinct values as its share affords (at least 16), each with one count per class
/// (classification) or three sums (regression); values beyond those fall into the pool of small groups.
/// </summary>
/// <remarks>
/// Rows arrive as blocks: a CSV/TSV row, or a Parquet row group. In a CSV/TSV row the label may come after other
/// columns, so each column's group is buffered for the row and counted at <see cref="EndBlock"/>; a Parquet row group's
/// label column is read first (<c>labelsFirst</c>), so the other columns are counted as they are read and only the
/// labels of one row group are held.
/// </remarks>
public sealed class LabelAssociation
{
    /// <summary>Smallest group counted on its own; smaller groups are pooled (a value seen a few times proves nothing).</summary>
    public const int MinGroupRows = 5;

    /// <summary>Most classes a label may have for the analysis (each tracked value keeps one count per class).</summary>
    public const int MaxClasses = 100;

    /// <summary>Bins of a numeric column with many distinct values.</summary>
    public const int NumericBins = 32;

    /// <summary>Distinct values up to which a numeric column is grouped by value rather than binned.</summary>
    public const int MaxNumericGroups = 64;

    /// <summary>Characters of a value that tell groups apart (longer values are free text: unique, pooled anyway).</summary>
    public const int MaxKeyLength = 100;

    private const int MissingGroup = 0;
    private const int PoolGroup = 1;

    private readonly StoredProfile _profile;
    private readonly int _labelIndex;
    private readonly Dictionary<string, int>? _classes;
    private readonly ColumnState[] _columns;
    private readonly double[] _labels;
    private readonly bool _labelsFirst;
    private int _blockRows;
    private long _rows;

    private LabelAssociation(StoredProfile profile, int labelIndex, Dictionary<string, int>? classes, int maxGroups, int blockCapacity, bool labelsFirst)
    {
        _profile = profile;
        _labelIndex = labelIndex;
        _classes = classes;
        _labels = new double[blockCapacity];
        _labelsFirst = labelsFirst;
        _columns = profile.Columns.Select((c, i) => new ColumnState(this, i, c, maxGroups, labelsFirst ? 0 : blockCapacity)).ToArray();
    }

    /// <summary>The label column's index, file order.</summary>
    public int LabelIndex => _labelIndex;

    /// <summary>The analysis of <paramref name="label"/> against every other column, or null with the reason it is not made.</summary>
    /// <param name="profile">The data set's stored profile (types, value counts and quantiles decide the groups).</param>
    /// <param name="label">The label column; must be one of the profile's.</param>
    /// <param name="memoryBytes">What the pass may hold (<c>ModelStore:Datasets:ProfileMemoryBytes</c>).</param>
    /// <param name="blockCapacity">Most rows in one block (1 for CSV/TSV, the largest row group for Parquet).</param>
    /// <param name="labelsFirst">Every block's label column is observed before the other columns (Parquet).</param>
    public static (LabelAssociation? Pass, string? Skipped) Start(
        StoredProfile profile, string label, long memoryBytes, int blockCapacity, bool labelsFirst)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var index = profile.Columns.ToList().FindIndex(c => c.Name == label);
        if (index < 0) throw new ArgumentException($"'{label}' is not a column of the profile", nameof(label));
        var column = profile.Columns[index];
        Dictionary<string, int>? classes = null;
        if (!IsRegressionLabel(column))
        {
            if (column.ValueCounts is not { Count: > 0 and <= MaxClasses } counts)
                return (null, $"the label has more than {MaxClasses} classes");
            classes = counts.Select((v, i) => (v.Value, i)).ToDictionary(p => p.Value, p => p.i, StringComparer.Ordinal);
        }
        var width = classes?.Count ?? 3;
        var share = ProfileBudget.For(memoryBytes, Math.Max(1, profile.Columns.Count)).BytesPerColumn;
        var maxGroups = (int)Math.Clamp(share / (width * 8L + 96), 16, 100_000);
        return (new LabelAssociation(profile, index, classes, maxGroups, Math.Max(1, blockCapacity), labelsFirst), null);
    }

    /// <summary>A numeric label with more than <see cref="ProfileReport.MaxNumericClasses"/> distinct values is a regression target.</summary>
    public static bool IsRegressionLabel(StoredColumnProfile label) =>
        label.Type == DatasetColumnType.Numeric && label.DistinctCount > ProfileReport.MaxNumericClasses;

    /// <summary>The observer of the column at <paramref name="index"/> (file order).</summary>
    public IColumnObserver Column(int index) => _columns[index];

    /// <summary>Starts a block of <paramref name="rows"/> rows.</summary>
    public void BeginBlock(int rows)
    {
        if (rows > _labels.Length) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"at most {_labels.Length} rows a block");
        _blockRows = rows;
        foreach (var column in _columns) column.Position = 0;
    }

    /// <summary>Counts the block's rows that have a label.</summary>
    public void EndBlock()
    {
        for (var row = 0; row < _blockRows; row++)
            if (!double.IsNaN(_labels[row])) _rows++;
        if (_labelsFirst) return; // counted as they came
        for (var row = 0; row < _blockRows; row++)
        {
            if (double.IsNaN(_labels[row])) continue;
            for (var c = 0; c < _columns.Length; c++)
                if (c != _labelIndex) _columns[c].Count(row, _labels[row]);
        }
    }

    /// <summary>The analysis, once every block has ended.</summary>
    public StoredLabelAnalysis Complete()
    {
        var results = new List<ColumnAssociation>();
        for (var c = 0; c < _columns.Length; c++)
            if (c != _labelIndex) results.Add(_columns[c].Result(_classes?.Count ?? 0));
        return new StoredLabelAnalysis(_profile.Columns[_labelIndex].Name, _classes is null ? "regression" : "classification", _rows, results);
    }

    private sealed class ColumnState : IColumnObserver
    {
        private readonly LabelAssociation _owner;
        private readonly int _index;
        private readonly bool _isLabel;
        private readonly int _maxGroups;
        private readonly double[]? _binEdges;
        private readonly Dictionary<string, int> _groupOf = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private readonly int[] _blockGroups;
        private readonly double[] _blockValues;
        // Per group: one count per class, or count / sum / sum of squares of the label (regression).
        private readonly List<double[]> _groups = [];
        private readonly bool _numeric;
        private double _n, _sx, _sy, _sxx, _syy, _sxy; // Pearson's r, regression with a numeric column

        public ColumnState(LabelAssociation owner, int index, StoredColumnProfile column, int maxGroups, int blockCapacity)
        {
            _owner = owner;
            _index = index;
            _isLabel = index == owner._labelIndex;
            _maxGroups = maxGroups;
            _lookup = _groupOf.GetAlternateLookup<ReadOnlySpan<char>>();
            _blockGroups = new int[blockCapacity];
            _blockValues = new double[blockCapacity];
            _numeric = column.Type == DatasetColumnType.Numeric;
            if (_numeric && column.Numeric is { } n && !(column.ValueCounts is { Count: <= MaxNumericGroups }))
                _binEdges = [n.Min, n.P5, n.P25, n.P50, n.P75, n.P95, n.Max];
        }

        public int Position { get; set; }

        public void ObserveMissing()
        {
            if (_isLabel) Label(double.NaN);
            else Record(MissingGroup, double.NaN);
        }

        public void Observe(ReadOnlySpan<char> value, bool truncated, long length, long? line)
        {
            if (value.IsEmpty && !truncated)
            {
                ObserveMissing();
                return;
            }
            if (_isLabel)
            {
                Label(LabelValue(value));
                return;
            }
            var number = double.NaN;
            if (_numeric && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) number = parsed;
            if (_binEdges is not null && !double.IsNaN(number)) Record(Bin(number), number);
            else Record(Group(value.Length > MaxKeyLength ? value[..MaxKeyLength] : value), number);
        }

        public void ObserveNumber(double value)
        {
            if (_isLabel)
            {
                Label(_owner._classes is null ? value : LabelValue(value.ToString("R", CultureInfo.InvariantCulture)));
                return;
            }
            if (_binEdges is not null) Record(Bin(value), value);
            else Record(Group(value.ToString("R", CultureInfo.InvariantCulture)), value);
        }

        public void ObserveDate(DateTime value)
        {
            if (_isLabel) Label(double.NaN); // a date is never a label
            else Record(Group(value.ToString("O", CultureInfo.InvariantCulture)), double.NaN);
        }

        private double LabelValue(ReadOnlySpan<char> value)
        {
            if (_owner._classes is { } classes)
                return classes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(value, out var index) ? index : double.NaN;
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : double.NaN;
        }

        private void Label(double value) => _owner._labels[Position++] = value;

        private void Record(int group, double number)
        {
            if (_owner._labelsFirst)
            {
                var label = _owner._labels[Position];
                if (!double.IsNaN(label)) Count(group, number, label);
            }
            else
            {
                _blockGroups[Position] = group;
                _blockValues[Position] = number;
            }
            Position++;
        }

        private int Group(ReadOnlySpan<char> key)
        {
            if (_lookup.TryGetValue(key, out var group)) return group;
            if (_groupOf.Count >= _maxGroups) return PoolGroup;
            group = _groupOf.Count + 2;
            _lookup[key] = group;
            return group;
        }

        // Bins of about equal size: the value's rank, read off the stored quantiles by linear interpolation.
        private int Bin(double value)
        {
            var edges = _binEdges!;
            ReadOnlySpan<double> ranks = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];
            double rank;
            if (value <= edges[0]) rank = 0;
            else if (value >= edges[^1]) rank = 1;
            else
            {
                var i = 1;
                while (value > edges[i]) i++;
                var width = edges[i] - edges[i - 1];
                rank = ranks[i - 1] + (width > 0 ? (value - edges[i - 1]) / width : 0) * (ranks[i] - ranks[i - 1]);
            }
            return 2 + Math.Min(NumericBins - 1, (int)(rank * NumericBins));
        }

        public void Count(int row, double label) => Count(_blockGroups[row], _blockValues[row], label);

        private void Count(int group, double x, double label)
        {
            var width = _owner._classes?.Count ?? 3;
            while (_groups.Count <= group) _groups.Add(new double[width]);
            var counts = _groups[group];
            if (_owner._classes is not null)
            {
                counts[(int)label]++;
                return;
            }
            counts[0]++;
            counts[1] += label;
            counts[2] += label * label;
            if (_numeric && double.IsFinite(x))
            {
                _n++; _sx += x; _sy += label; _sxx += x * x; _syy += label * label; _sxy += x * label;
            }
        }

        public ColumnAssociation Result(int classes)
        {
            var name = _owner._profile.Columns[_index].Name;
            // Groups below MinGroupRows go into one pool (the untracked values' group is always pooled).
            var width = classes > 0 ? classes : 3;
            var kept = new List<double[]>();
            var pool = new double[width];
            for (var g = 0; g < _groups.Count; g++)
            {
                var counts = _groups[g];
                var rows = classes > 0 ? counts.Sum() : counts[0];
                if (rows == 0) continue;
                if (g != PoolGroup && rows >= MinGroupRows) kept.Add(counts);
                else for (var i = 0; i < width; i++) pool[i] += counts[i];
            }
            var all = kept.Append(pool).ToList();
            return classes > 0 ? Classification(name, kept.Count, all, classes) : Regression(name, kept.Count, all);
        }

        private static ColumnAssociation Classification(string name, int groups, List<double[]> all, int classes)
        {
            var classTotals = new double[classes];
            foreach (var g in all) for (var c = 0; c < classes; c++) classTotals[c] += g[c];
            var n = classTotals.Sum();
            if (n == 0) return new ColumnAssociation(name, 0, 0, 0, 0, null, false);
            var correct = all.Sum(g => g.Max());
            var entropy = -classTotals.Where(t => t > 0).Sum(t => t / n * Math.Log(t / n));
            double mutual = 0;
            foreach (var g in all)
            {
                var rows = g.Sum();
                for (var c = 0; c < classes; c++)
                    if (g[c] > 0) mutual += g[c] / n * Math.Log(g[c] * n / (rows * classTotals[c]));
            }
            // One-to-one: the groups that hold 99% of the rows each have a different majority class, one per class.
            var bySize = all.Where(g => g.Sum() > 0).OrderByDescending(g => g.Sum()).ToList();
            var covered = 0.0;
            var majorities = new HashSet<int>();
            var distinct = true;
            foreach (var g in bySize)
            {
                if (covered >= 0.99 * n) break;
                covered += g.Sum();
                distinct &= majorities.Add(Array.IndexOf(g, g.Max()));
            }
            var present = classTotals.Count(t => t > 0);
            var oneToOne = distinct && majorities.Count == present && correct >= 0.99 * n;
            return new ColumnAssociation(name, groups, correct / n, classTotals.Max() / n, entropy > 0 ? mutual / entropy : 0, null, oneToOne);
        }

        private ColumnAssociation Regression(string name, int groups, List<double[]> all)
        {
            double n = 0, sum = 0, squares = 0, within = 0;
            foreach (var g in all)
            {
                if (g[0] == 0) continue;
                n += g[0]; sum += g[1]; squares += g[2];
                within += g[2] - g[1] * g[1] / g[0];
            }
            var total = n > 0 ? squares - sum * sum / n : 0;
            var r2 = total > 0 ? Math.Clamp(1 - within / total, 0, 1) : 0;
            double? r = null;
            if (_numeric && _n > 1)
            {
                var vx = _sxx - _sx * _sx / _n;
                var vy = _syy - _sy * _sy / _n;
                if (vx > 0 && vy > 0) r = Math.Clamp((_sxy - _sx * _sy / _n) / Math.Sqrt(vx * vy), -1, 1);
            }
            return new ColumnAssociation(name, groups, r2, 0, 0, r, false);
        }
    }
}
