using System.CommandLine;
using System.Security.Cryptography;
using Grpc.Core;
using Platform.Cli.Output;
using Platform.Models.V1;
using Spectre.Console;

namespace Platform.Cli.Commands;

/// <summary><c>models list | versions | download</c>.</summary>
public static class ModelCommands
{
    public static Command Create(CommandRunner run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Command("models", "Registered models, their versions and artifacts")
        {
            List(run),
            Versions(run),
            Download(run),
        };
    }

    private static Command List(CommandRunner run)
    {
        var command = new Command("list", "List the tenant's models with their latest version");
        run.SetAction(command, async (_, gateway, cancellationToken) =>
        {
            var models = await Tables.AllPagesAsync<Model>(async token =>
            {
                var page = await gateway.Models.ListModelsAsync(new ListModelsRequest { PageToken = token }, cancellationToken: cancellationToken);
                return (page.Models, page.NextPageToken);
            });
            var table = Tables.Create("Model", "Latest version", "Updated");
            foreach (var model in models) table.Row(model.Name, model.LatestVersion, Formats.Time(model.UpdatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Versions(CommandRunner run)
    {
        var name = new Argument<string>("name") { Description = "Model name" };
        var command = new Command("versions", "List a model's versions, newest first, with their metrics") { name };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new ListModelVersionsRequest { ModelName = parse.GetRequiredValue(name) };
            var versions = await Tables.AllPagesAsync<ModelVersion>(async token =>
            {
                request.PageToken = token;
                var page = await gateway.Models.ListModelVersionsAsync(request, cancellationToken: cancellationToken);
                return (page.Versions, page.NextPageToken);
            });
            var table = Tables.Create("Version", "Job", "Trainer", "Metrics", "Created");
            // Overall metrics only; per-class ones (name[class]) are in 'jobs show'.
            foreach (var v in versions)
                table.Row(v.Version, v.JobId, v.Trainer, Formats.Metrics(v.Metrics.Where(m => !m.Key.Contains('[', StringComparison.Ordinal))), Formats.Time(v.CreatedAt));
            run.Terminal.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Download(CommandRunner run)
    {
        var name = new Argument<string>("name") { Description = "Model name" };
        var version = new Option<int>("--version") { Description = "Version to download (default: the latest)", HelpName = "n" };
        var artifact = new Option<string>("--artifact")
        {
            Description = "Which artifact: the ML.NET model or the holdout predictions CSV",
            DefaultValueFactory = _ => "model",
        };
        artifact.AcceptOnlyFromAmong("model", "predictions");
        var output = new Option<FileInfo?>("--output", "-o") { Description = "File to write (default: the artifact's file name)", HelpName = "file" };
        var command = new Command("download", "Download an artifact of a model version and verify its SHA-256") { name, version, artifact, output };
        run.SetAction(command, async (parse, gateway, cancellationToken) =>
        {
            var request = new DownloadModelVersionRequest
            {
                ModelName = parse.GetRequiredValue(name),
                Version = parse.GetValue(version),
                Artifact = parse.GetRequiredValue(artifact),
            };
            using var call = gateway.Models.DownloadModelVersion(request, cancellationToken: cancellationToken);
            var saved = await SaveVerifiedAsync(call.ResponseStream, parse.GetValue(output), request, cancellationToken);
            run.Terminal.Out.Write(Tables.Details(
            [
                ("Saved", saved.Path),
                ("Size", Formats.Size(saved.Artifact.SizeBytes)),
                ("SHA-256", $"{saved.Artifact.Sha256} (verified)"),
            ]));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Writes the stream to a temporary file next to the target while hashing it, and moves it into place only
    /// when size and SHA-256 match what the store reported: a failed download never leaves a file that looks whole.
    /// </summary>
    public static async Task<(string Path, Artifact Artifact)> SaveVerifiedAsync(
        IAsyncStreamReader<ArtifactChunk> chunks, FileInfo? output, DownloadModelVersionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(request);
        if (!await chunks.MoveNext(cancellationToken) || chunks.Current.Artifact is not { } artifact)
            throw new CliException("the download did not start with the artifact's description");

        var target = Path.GetFullPath(output?.FullName ?? DefaultFileName(artifact, request));
        var partial = target + ".partial";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                do
                {
                    var data = chunks.Current.Data.Memory;
                    hash.AppendData(data.Span);
                    await file.WriteAsync(data, cancellationToken);
                    size += data.Length;
                } while (await chunks.MoveNext(cancellationToken));
            }

            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != artifact.SizeBytes || !string.Equals(sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new CliException(
                    $"DataLoss: received {size} bytes with SHA-256 {sha256}, but the store reported {artifact.SizeBytes} bytes with SHA-256 {artifact.Sha256}; nothing was saved");
            File.Move(partial, target, overwrite: true);
            return (target, artifact);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static string DefaultFileName(Artifact artifact, DownloadModelVersionRequest request) =>
        !string.IsNullOrEmpty(artifact.FileName)
            ? Path.GetFileName(artifact.FileName) // Never let a reported name point outside the current folder.
            : $"{request.ModelName}-{artifact.Kind}{(artifact.Kind == "predictions" ? ".csv" : ".zip")}";
}
