using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Platform.Training.Artifacts;
using Platform.Training.Pipeline;

namespace Platform.Training.Onnx;

/// <summary>What an ONNX export produced: the file, or why there is none.</summary>
/// <param name="Model"><c>model.onnx</c> with its SHA-256 and size; null when the pipeline cannot be exported.</param>
/// <param name="NotSupportedReason">
/// Why there is no file, naming the part of the pipeline ML.NET's converter cannot translate
/// ("ONNX export not supported: the trainer's model (GamBinaryModelParameters) has no ONNX converter"); null when exported.
/// </param>
public sealed record OnnxExportResult(TrainingArtifact? Model, string? NotSupportedReason)
{
    public bool Exported => Model is not null;
}

/// <summary>
/// Exports a saved model (<c>model.zip</c>, with its data loader) to ONNX with ML.NET's converter
/// (Microsoft.ML.OnnxConverter), when every stage of the pipeline has an ONNX translation.
/// </summary>
/// <remarks>
/// <para>The export reads the zip the run saved and never writes it, so the model's bytes (and its SHA-256) are the
/// same with or without the export; the ONNX file is produced from exactly the model that is registered.</para>
/// <para>The ONNX graph takes the data set's columns as inputs, one tensor of shape [rows, 1] per column (numbers as
/// float, categories and text as string), named as in the data set; the label column is an input too when the model
/// converts it (classification), though its value does not affect the prediction. Outputs carry ML.NET's column names
/// with a <c>.output</c> suffix: <c>PredictedLabel.output</c>, <c>Score.output</c>, <c>Probability.output</c>.</para>
/// </remarks>
public static class OnnxExport
{
    public const string FileName = "model.onnx";

    /// <summary>Exports the model saved at <paramref name="modelZipPath"/> to <paramref name="onnxPath"/>.</summary>
    /// <returns>The file written, or the reason the pipeline cannot be exported (then nothing is left at <paramref name="onnxPath"/>).</returns>
    public static OnnxExportResult Export(string modelZipPath, string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelZipPath);
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        var ml = new MLContext(seed: 0);
        ITransformer model;
        IDataLoader<IMultiStreamSource> loader;
        using (var stream = File.OpenRead(modelZipPath))
            model = ml.Model.LoadWithDataLoader(stream, out loader);
        // The converter reads only the schema: a loader over no file gives it without reading the data.
        var input = loader.Load(new MultiFileSource(null));
        model = WithoutLabelConversion(model, input.Schema);

        // A fill by an expression always ends in a reason; the prefix search names it (or a stage before it that fails).
        if (Stages(model).Any(stage => stage is ExpressionTransformer))
            return new OnnxExportResult(null, Unsupported(ml, model, input));
        // Convert the whole chain at once; only when that fails, look for the stage to blame (a conversion per prefix).
        Exception failure;
        using (var output = new HashingFileStream(onnxPath))
        {
            try
            {
                ml.Model.ConvertToOnnx(model, input, output);
                return new OnnxExportResult(output.Complete(), null);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                failure = exception;
            }
        }
        File.Delete(onnxPath);
        if (Unsupported(ml, model, input) is { } unsupported)
            return new OnnxExportResult(null, unsupported);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        throw failure;
    }

    /// <summary>
    /// The model without the stages that only serve the trainer: the label's conversion (into <see cref="ReservedColumns.Label"/>)
    /// and class weights (<see cref="ReservedColumns.Weight"/>). Predicting never reads the label, and left in they would make
    /// it an input of the ONNX graph (and the expression that turns a two-class label into a boolean has no ONNX translation).
    /// </summary>
    private static ITransformer WithoutLabelConversion(ITransformer model, DataViewSchema input)
    {
        if (model is not TransformerChain<ITransformer> chain)
            return model;
        var kept = new List<ITransformer>();
        var schema = input;
        foreach (var stage in chain)
        {
            var output = stage.GetOutputSchema(schema);
            var added = output.Where(c => !c.IsHidden && schema.GetColumnOrNull(c.Name) is null).Select(c => c.Name).ToArray();
            if (added is not ([ReservedColumns.Label] or [ReservedColumns.Weight]))
            {
                kept.Add(stage);
                schema = output;
            }
        }
        return new TransformerChain<ITransformer>([.. kept]);
    }

    private static ITransformer[] Stages(ITransformer model) => model is TransformerChain<ITransformer> chain ? [.. chain] : [model];

    /// <summary>
    /// The first stage the converter cannot translate, found by converting ever longer prefixes of the chain
    /// (the converter itself reports only that something failed); null when every stage converts.
    /// </summary>
    private static string? Unsupported(MLContext ml, ITransformer model, IDataView input)
    {
        var stages = Stages(model);
        for (var i = 0; i < stages.Length; i++)
        {
            if (stages[i] is ExpressionTransformer)
                return $"ONNX export not supported: {Describe(stages[i])} (the median or most-frequent fill of missing values) " +
                    "converts, but ONNX Runtime then fills nothing and predicts differently; use the mean or indicator policy to export";
            var prefix = new TransformerChain<ITransformer>(stages[..(i + 1)]);
            try
            {
                ml.Model.ConvertToOnnx(prefix, input, Stream.Null);
            }
            catch (InvalidOperationException)
            {
                // What the converter throws when a stage cannot be saved as ONNX; its message names no stage.
                return $"ONNX export not supported: {Describe(stages[i])} has no ONNX converter";
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Some stages claim a translation but the converter fails on them (text featurization: KeyNotFoundException).
                return $"ONNX export not supported: the converter fails on {Describe(stages[i])} ({exception.GetType().Name}: {exception.Message})";
            }
        }
        return null;
    }

    /// <summary>A stage as a user would recognise it: the trainer's model, or the transform.</summary>
    private static string Describe(ITransformer stage)
    {
        if (stage is ISingleFeaturePredictionTransformer<object> prediction)
        {
            // A calibrated model is the trainer's model plus a calibrator: name the trainer's.
            var model = prediction.Model.GetType().GetProperties().FirstOrDefault(p => p.Name == "SubModel")?.GetValue(prediction.Model) ?? prediction.Model;
            return $"the trainer's model ({Name(model.GetType())})";
        }
        return $"the {Name(stage.GetType())} stage";
    }

    private static string Name(Type type)
    {
        var name = type.IsGenericType ? type.Name[..type.Name.IndexOf('`')] : type.Name;
        return type.DeclaringType is { } outer ? $"{Name(outer)}.{name}" : name;
    }
}
