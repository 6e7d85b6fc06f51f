using Microsoft.ML;
using Platform.Training.Data;

namespace Platform.Training.Pipeline;

/// <summary>Leaves out the rows that miss a value in given columns (a filter of the training data, never saved in a model).</summary>
internal static class MissingRows
{
    /// <summary>The rows of <paramref name="view"/> with a value in every one of <paramref name="columns"/>.</summary>
    public static IDataView Drop(MLContext ml, IDataView view, IEnumerable<DatasetColumn> columns)
    {
        foreach (var column in columns)
        {
            if (column.Kind == ColumnKind.Numeric)
            {
                view = ml.Data.FilterRowsByMissingValues(view, column.Name);
                continue;
            }
            // Text has no NaN: mark present values 1 and missing (empty) ones 0, keep the 1s, drop the mark.
            var marked = ml.Transforms.Expression(ReservedColumns.Present, "s => s == \"\" ? 0.0 : 1.0", column.Name).Fit(view).Transform(view);
            var kept = ml.Data.FilterRowsByColumn(marked, ReservedColumns.Present, lowerBound: 0.5, upperBound: 2);
            view = ml.Transforms.DropColumns(ReservedColumns.Present).Fit(kept).Transform(kept);
        }
        return view;
    }
}
