using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using Platform.Models.V1;
using Platform.Registry.V1;
using Platform.ServiceDefaults.Grpc;
using Platform.Testing;
using Platform.Transfers;

namespace Platform.Benchmarks;

/// <summary>
/// The model registry (docs/registry.md), on the model-store host as its own process:
/// <list type="bullet">
/// <item>alias resolution (<c>ResolveModel("bench@production")</c>), version listing (first page of
/// <c>ListModelVersions</c>) and a tag search, p50 and p99 over sequential calls, with 10,000 versions registered
/// (target p99 ≤ 20 ms);</item>
/// <item>artifact upload and download throughput against a durable copy of the same file on the same disk (copy plus
/// fsync, because the store flushes what it accepts), target ≥ 0.8×, the median of five interleaved rounds (copy,
/// upload, download) after 80 untimed small transfers, and the store's peak memory (VmHWM), which must stay flat as the size grows: 100 MB always, 1 GB
/// with <c>PLATFORM_BENCH_LARGE=1</c>. Each round moves the bytes twice: over gRPC streaming, and over the HTTP/1.1
/// byte stream (<c>POST /v1/uploads</c> plus an upload naming the staged bytes; <c>GET /v1/models/…/artifacts/model</c>).
/// Every upload is a new artifact (its first 8 bytes changed and its SHA-256 computed again, untimed), as a job's new model is.
/// A second, informational baseline in each round: the same copy written with direct I/O (no page cache, as the
/// transfers write), which shows how far a transfer is from the disk itself whatever state the page cache is in. And the
/// median time of the last 40 small (1 MiB) transfers: the fixed cost of an upload and a download.</item>
/// </list>
/// SQLite (the standalone mode's store) always; PostgreSQL too when <c>PLATFORM_TEST_POSTGRES</c> names a server.
/// <c>PLATFORM_BENCH_REGISTRY=lookups</c> or <c>=transfers</c> runs only that half; <c>PLATFORM_BENCH_TRANSPORT=http</c>
/// or <c>=grpc</c> moves the bytes one way only.
/// </summary>
public static class RegistryBenchmarks
{
    private const int Versions = 10_000;
    private const int Warmup = 200;
    private const int Samples = 2_000;
    // Upload chunks as the worker sends them (the platform's own chunk size).
    private const int ChunkSize = GrpcTransfer.ChunkBytes;
    // Rounds of copy, upload, download, interleaved so a burst of load from elsewhere on the machine hits all three.
    private const int Rounds = 5;
    private const string Model = "bench";
    // Untimed small transfers per transport before the timed ones (see TransfersAsync): past the 60 calls after which
    // .NET has compiled a method at its optimising tier. A little over a MiB, so a short last piece is written too.
    private const int WarmupTransfers = 80;
    private const long WarmupArtifactBytes = 1024 * 1024 + 1000;
    // Artifacts made so far (NewArtifactAsync).
    private static long _artifacts;

    public static async Task<IReadOnlyList<BenchmarkResult>> RunAsync()
    {
        var results = new List<BenchmarkResult>();
        results.AddRange(await RunModeAsync("sqlite", postgresAdmin: null));
        if (Environment.GetEnvironmentVariable(PlatformServers.PostgresVariable) is { Length: > 0 } admin)
            results.AddRange(await RunModeAsync("postgres", admin));
        else
            Console.WriteLine($"registry: PostgreSQL skipped ({PlatformServers.PostgresVariable} not set)");
        return results;
    }

    private static async Task<IReadOnlyList<BenchmarkResult>> RunModeAsync(string mode, string? postgresAdmin)
    {
        var folder = Directory.CreateTempSubdirectory("registry-bench").FullName;
        var database = postgresAdmin is null ? null : await CreateDatabaseAsync(postgresAdmin);
        try
        {
            var results = new List<BenchmarkResult>();
            var only = Environment.GetEnvironmentVariable("PLATFORM_BENCH_REGISTRY");
            if (only is null or "" or "lookups")
                results.AddRange(await LookupsAsync(mode, folder, database));
            if (only is "lookups") return results;
            results.AddRange(await TransfersAsync(mode, folder, database, 100L * 1000 * 1000, "100 MB", reportSmall: true));
            if (Environment.GetEnvironmentVariable("PLATFORM_BENCH_LARGE") == "1")
                results.AddRange(await TransfersAsync(mode, folder, database, 1000L * 1000 * 1000, "1 GB", reportSmall: false));
            else
                Console.WriteLine("registry: 1 GB transfer skipped (set PLATFORM_BENCH_LARGE=1)");
            return results;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            if (postgresAdmin is not null && database is not null) await DropDatabaseAsync(postgresAdmin, database);
        }
    }

    private static async Task<IReadOnlyList<BenchmarkResult>> LookupsAsync(string mode, string folder, string? database)
    {
        await using var store = await StartStoreAsync(Path.Combine(folder, "lookups"), database);
        using var channel = InternalCaller.Channel(store.GrpcAddress);
        var models = new ModelService.ModelServiceClient(channel);
        var registry = new ModelRegistry.ModelRegistryClient(channel);

        Console.WriteLine($"registry ({mode}): registering {Versions:N0} versions of '{Model}'");
        var clock = Stopwatch.StartNew();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) <= Versions)
                await RegisterAsync(registry, i);
        })));
        var perSecond = Versions / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  {clock.Elapsed.TotalSeconds:0.0} s ({perSecond:0} registrations/s)");

        await models.SetModelAliasAsync(new SetModelAliasRequest { ModelName = Model, Alias = "production", Version = Versions / 2, Actor = "bench" });
        var resolve = await LatencyAsync(async () =>
        {
            var version = await models.ResolveModelAsync(new ResolveModelRequest { Reference = $"{Model}@production" });
            if (version.Version != Versions / 2) throw new InvalidOperationException("the alias resolved to the wrong version");
        });
        var list = await LatencyAsync(async () =>
        {
            var page = await models.ListModelVersionsAsync(new ListModelVersionsRequest { ModelName = Model, PageSize = 50 });
            if (page.Versions.Count != 50) throw new InvalidOperationException("a short page");
        });
        var search = await LatencyAsync(async () =>
        {
            var page = await models.SearchModelVersionsAsync(new SearchModelVersionsRequest { Tags = { ["tier"] = "candidate" }, PageSize = 50 });
            if (page.Versions.Count != 50) throw new InvalidOperationException("a short page");
        });

        var data = $"{Versions:N0} versions";
        return
        [
            Latency("registry.resolve_alias.p50", resolve, 0.50, "", data, mode),
            Latency("registry.resolve_alias.p99", resolve, 0.99, "<= 20", data, mode),
            Latency("registry.list_versions.p50", list, 0.50, "", data + ", page of 50", mode),
            Latency("registry.list_versions.p99", list, 0.99, "<= 20", data + ", page of 50", mode),
            Latency("registry.search_by_tag.p50", search, 0.50, "", data + ", page of 50", mode),
            Latency("registry.search_by_tag.p99", search, 0.99, "<= 20", data + ", page of 50", mode),
            new("registry.register_version.rate", perSecond, "versions/s", null, null, "", data + ", 4 concurrent", mode),
        ];
    }

    /// <param name="reportSmall">
    /// Whether to report the second half of the small warm-up transfers too: what an upload or a download costs beyond
    /// moving its bytes (requests, registration, durable commit), the part a large transfer's time has on top of the disk's.
    /// </param>
    private static async Task<IReadOnlyList<BenchmarkResult>> TransfersAsync(
        string mode, string folder, string? database, long size, string label, bool reportSmall)
    {
        var work = Path.Combine(folder, $"transfer-{size}");
        Directory.CreateDirectory(work);
        var source = new LocalArtifact(Path.Combine(work, "model.zip"), "", size);
        var downloaded = Path.Combine(work, "downloaded.zip");
        await WriteRandomFileAsync(source.Path, size);

        // A fresh store per size, so its peak memory is that of this transfer alone.
        await using var store = await StartStoreAsync(Path.Combine(work, "store"), database);
        // The platform's own client settings (the worker's and gateway's): HTTP/2 windows of several chunks.
        using var channel = InternalCaller.Channel(store.GrpcAddress, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = GrpcTransfer.MaxMessageBytes,
            HttpHandler = GrpcTransfer.CreateClientHandler(),
        });
        var models = new ModelService.ModelServiceClient(channel);
        // The byte stream: plain HTTP/1.1 on the store's transfers port, as the CLI and the worker use it.
        using var http = new HttpClient(ServiceDefaults.Security.ServiceCredential.Handler(InternalCaller.Token, new SocketsHttpHandler()))
        {
            BaseAddress = store.TransfersAddress, Timeout = TimeSpan.FromMinutes(10),
        };
        var bytes = new ByteStreamClient(http, tenant: null);
        var idle = PeakMemoryBytes(store.ProcessId);

        // Two ways of moving the bytes, each an upload of a new artifact (a new version; see NewArtifactAsync) and a
        // download saved as the CLI saves it (hashed, checked, written, flushed).
        Transport[] transports =
        [
            new("grpc", "gRPC streaming",
                artifact => UploadAsync(models, artifact),
                (version, artifact) => DownloadAsync(models, version, artifact.Sha256, downloaded)),
            new("http", "HTTP/1.1 byte stream",
                artifact => UploadOverByteStreamAsync(models, bytes, artifact),
                (version, artifact) => DownloadOverByteStreamAsync(bytes, version, artifact.Sha256, downloaded)),
        ];
        if (Environment.GetEnvironmentVariable("PLATFORM_BENCH_TRANSPORT") is { Length: > 0 } only)
            transports = transports.Where(t => t.Key == only).ToArray();

        // Untimed transfers first, to time the store as it runs once it has been up a while rather than a fresh process
        // compiling its code. .NET compiles a method at its optimising tier only after it has run 30 times at each of two
        // lower tiers, and the code around the bytes (the HTTP and gRPC handlers, the registration's queries) runs once
        // per transfer: so many small transfers, then one of this size for the code that runs per piece. Measured with
        // perf: after one warm-up transfer per transport the compiler took a third to a half of the store's CPU all
        // through the timed rounds, and the first round was the slowest. With these it still compiles in the background
        // for part of the rounds (the store's code is large), on the other core: the times were the same when the
        // compiler was made to finish during the warm-up (DOTNET_TC_CallCountingDelayMs=0), its CPU figures lower.
        var small = new LocalArtifact(Path.Combine(work, "small.zip"), "", WarmupArtifactBytes);
        await WriteRandomFileAsync(small.Path, small.Size);
        for (var i = 0; i <= WarmupTransfers; i++)
        {
            var artifact = i < WarmupTransfers ? small : source;
            foreach (var transport in transports)
            {
                var current = artifact with { Sha256 = await NewArtifactAsync(artifact.Path) };
                var clock = Stopwatch.StartNew();
                var warmup = await transport.Upload(current);
                var uploaded = clock.Elapsed.TotalMilliseconds;
                await transport.Download(warmup.Version, current);
                if (i >= WarmupTransfers / 2 && i < WarmupTransfers)
                    transport.Small.Add((uploaded, clock.Elapsed.TotalMilliseconds - uploaded));
                File.Delete(downloaded);
            }
        }
        var settled = await ProcessCpu.SettleAsync(store.ProcessId, Environment.ProcessId);
        Console.WriteLine($"  settled after {settled.TotalSeconds:0} s (compilation at the optimising tier done)");

        // Baseline: the same bytes copied on the same disk and flushed, as the store does with what it accepts; each
        // round copies, then uploads and downloads with each transport, interleaved so load from elsewhere hits them all.
        Console.WriteLine($"registry ({mode}): {label} upload and download, {Rounds} rounds");
        var copies = new List<double>();
        var directCopies = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            copies.Add(DurableCopy(source.Path, Path.Combine(work, "copy.zip")));
            directCopies.Add(DirectCopy(source.Path, Path.Combine(work, "copy.zip")));
            var line = $"  round {round + 1}: copy {copies[^1]:0.00} s (direct I/O {directCopies[^1]:0.00} s)";
            foreach (var transport in transports)
            {
                var artifact = source with { Sha256 = await NewArtifactAsync(source.Path) };
                var cpu = CpuSeconds(store.ProcessId);
                var uploadClock = Stopwatch.StartNew();
                var version = await transport.Upload(artifact);
                transport.Uploads.Add(uploadClock.Elapsed.TotalSeconds);
                transport.UploadCpu.Add(CpuSince(store.ProcessId, ref cpu));
                var downloadClock = Stopwatch.StartNew();
                await transport.Download(version.Version, artifact);
                transport.Downloads.Add(downloadClock.Elapsed.TotalSeconds);
                transport.DownloadCpu.Add(CpuSince(store.ProcessId, ref cpu));
                File.Delete(downloaded);
                line += $"; {transport.Key} upload {transport.Uploads[^1]:0.00} s (CPU store {transport.UploadCpu[^1].Store:0.00} s, " +
                        $"client {transport.UploadCpu[^1].Client:0.00} s), download {transport.Downloads[^1]:0.00} s " +
                        $"(CPU store {transport.DownloadCpu[^1].Store:0.00} s, client {transport.DownloadCpu[^1].Client:0.00} s)";
            }
            Console.WriteLine($"{line}; load {LoadAverage()}");
        }
        var copy = Median(copies);
        var directCopy = Median(directCopies);
        var peak = PeakMemoryBytes(store.ProcessId);
        double MegabytesPerSecond(double seconds) => size / 1e6 / seconds;
        var key = label.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
        var results = new List<BenchmarkResult>
        {
            new($"registry.durable_copy_{key}.throughput", MegabytesPerSecond(copy), "MB/s", null, null, "baseline", label, mode),
            new($"registry.direct_copy_{key}.throughput", MegabytesPerSecond(directCopy), "MB/s", null, null, "baseline", $"{label}, direct I/O", mode),
        };
        foreach (var transport in transports)
        {
            var (upload, download) = (Median(transport.Uploads), Median(transport.Downloads));
            Console.WriteLine($"  median {transport.Key}: copy {copy:0.00} s, upload {upload:0.00} s ({copy / upload:0.00}x), " +
                              $"download {download:0.00} s ({copy / download:0.00}x); against the direct I/O copy ({directCopy:0.00} s) " +
                              $"{directCopy / upload:0.00}x up, {directCopy / download:0.00}x down");
            // The gRPC rows keep their names; the byte stream's carry "_http".
            var via = transport.Key == "grpc" ? "" : $"_{transport.Key}";
            var data = $"{label}, {transport.Description}";
            results.AddRange(
            [
                new($"registry.artifact_upload{via}_{key}.throughput", MegabytesPerSecond(upload), "MB/s", MegabytesPerSecond(copy), copy / upload, ">= 0.8", data, mode),
                new($"registry.artifact_download{via}_{key}.throughput", MegabytesPerSecond(download), "MB/s", MegabytesPerSecond(copy), copy / download, ">= 0.8", data, mode),
                new($"registry.artifact_upload{via}_{key}.vs_direct_copy", MegabytesPerSecond(upload), "MB/s", MegabytesPerSecond(directCopy), directCopy / upload, "", data, mode),
                new($"registry.artifact_download{via}_{key}.vs_direct_copy", MegabytesPerSecond(download), "MB/s", MegabytesPerSecond(directCopy), directCopy / download, "", data, mode),
                new($"registry.artifact_upload{via}_{key}.store_cpu", Median(transport.UploadCpu.Select(c => c.Store)), "CPU s", null, null, "", data, mode),
                new($"registry.artifact_upload{via}_{key}.client_cpu", Median(transport.UploadCpu.Select(c => c.Client)), "CPU s", null, null, "", data, mode),
                new($"registry.artifact_download{via}_{key}.store_cpu", Median(transport.DownloadCpu.Select(c => c.Store)), "CPU s", null, null, "", data, mode),
                new($"registry.artifact_download{via}_{key}.client_cpu", Median(transport.DownloadCpu.Select(c => c.Client)), "CPU s", null, null, "", data, mode),
            ]);
        }
        if (reportSmall)
        {
            foreach (var transport in transports)
            {
                var (upload, download) = (Median(transport.Small.Select(t => t.Upload)), Median(transport.Small.Select(t => t.Download)));
                Console.WriteLine($"  {transport.Key}, {WarmupArtifactBytes} bytes: upload {upload:0.0} ms, download {download:0.0} ms " +
                                  $"(median of {transport.Small.Count})");
                var via = transport.Key == "grpc" ? "" : $"_{transport.Key}";
                var data = $"1 MiB, {transport.Description}: the fixed cost per transfer";
                results.Add(new($"registry.artifact_upload{via}_1mib.latency", upload, "ms", null, null, "", data, mode));
                results.Add(new($"registry.artifact_download{via}_1mib.latency", download, "ms", null, null, "", data, mode));
            }
        }
        Console.WriteLine($"  store memory {idle / 1e6:0} MB idle, {peak / 1e6:0} MB peak (both transports)");
        // Baseline: the same store process idle, before the transfers.
        results.Add(new($"registry.artifact_transfer_{key}.peak_memory", peak / 1e6, "MB", idle / 1e6, (double)peak / idle, "flat", label, mode));
        return results;
    }

    /// <summary>A file on the client's disk to upload: its bytes' SHA-256 and size.</summary>
    private readonly record struct LocalArtifact(string Path, string Sha256, long Size);

    /// <summary>One way of moving an artifact, with what each round measured.</summary>
    private sealed record Transport(
        string Key, string Description, Func<LocalArtifact, Task<ModelVersion>> Upload, Func<int, LocalArtifact, Task> Download)
    {
        public List<double> Uploads { get; } = [];
        public List<double> Downloads { get; } = [];
        // Milliseconds per small warm-up transfer (the second half of them), up and down.
        public List<(double Upload, double Download)> Small { get; } = [];
        // CPU seconds each side spends per transfer: on a machine other work shares, the part of the cost that is ours.
        public List<(double Store, double Client)> UploadCpu { get; } = [];
        public List<(double Store, double Client)> DownloadCpu { get; } = [];
    }

    /// <summary>
    /// Uploads as a byte-stream client does: the file's bytes in one HTTP/1.1 request (staged by the store), then the
    /// gRPC upload whose <c>artifact</c> names the staged bytes instead of streaming chunks.
    /// </summary>
    private static async Task<ModelVersion> UploadOverByteStreamAsync(
        ModelService.ModelServiceClient models, ByteStreamClient bytes, LocalArtifact artifact)
    {
        var staged = await bytes.UploadAsync(artifact.Path, artifact.Sha256, CancellationToken.None);
        using var call = models.UploadModelVersion();
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Version = new ModelVersion { ModelName = "bench-transfer", Task = "regression", Trainer = "lightgbm" },
        });
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Artifact = new Artifact { Kind = "model", Sha256 = artifact.Sha256, SizeBytes = artifact.Size, FileName = "model.zip", UploadId = staged.UploadId },
        });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>Downloads as the CLI does over the byte stream: hashed on one thread while another writes, checked, flushed.</summary>
    private static async Task DownloadOverByteStreamAsync(ByteStreamClient bytes, int version, string sha256, string path)
    {
        var saved = await bytes.DownloadAsync(ByteStream.ArtifactPath($"bench-transfer:{version}", "model"), path, CancellationToken.None);
        if (saved.Sha256 != sha256)
            throw new InvalidOperationException("the downloaded bytes do not match the uploaded file's SHA-256");
    }

    private static Task<ServiceProcess> StartStoreAsync(string folder, string? database)
    {
        Directory.CreateDirectory(folder);
        return ServiceProcess.StartAsync("ModelStore", new Dictionary<string, string>
        {
            ["Database__Provider"] = database is null ? "Sqlite" : "Postgres",
            ["ConnectionStrings__ModelStore"] = database ?? $"Data Source={Path.Combine(folder, "model-store.db")}",
            ["Database__CreateOnStartup"] = "true",
            ["BlobStore__Root"] = Path.Combine(folder, "blobs"),
            ["Messaging__Transport"] = "InMemory",
            [InternalCaller.EnvironmentSetting.Key] = InternalCaller.EnvironmentSetting.Value,
        });
    }

    private static async Task RegisterAsync(ModelRegistry.ModelRegistryClient registry, int i)
    {
        var bytes = new byte[256];
        BitConverter.TryWriteBytes(bytes, i);
        var version = new ModelVersion
        {
            ModelName = Model,
            JobId = $"bench-{i}",
            DatasetId = "0194f3a2-7c1e-7cc0-9a53-6d1c1f6a1c11",
            DatasetSha256 = new string('d', 64),
            Task = "regression",
            Trainer = "lightgbm",
            Seed = i,
            LabelColumn = "delay",
            Metrics = { ["rmse"] = 10 + i % 100, ["r_squared"] = (i % 100) / 100.0 },
            Tags = { ["tier"] = i % 10 == 0 ? "candidate" : "nightly" },
        };
        using var call = registry.RegisterModelVersion();
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Version = version });
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest
        {
            Artifact = new Artifact { Kind = "model", Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), SizeBytes = bytes.Length, FileName = "model.zip" },
        });
        await call.RequestStream.WriteAsync(new RegisterModelVersionRequest { Chunk = ByteString.CopyFrom(bytes) });
        await call.RequestStream.CompleteAsync();
        await call;
    }

    private static async Task<ModelVersion> UploadAsync(ModelService.ModelServiceClient models, LocalArtifact artifact)
    {
        using var call = models.UploadModelVersion();
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Version = new ModelVersion { ModelName = "bench-transfer", Task = "regression", Trainer = "lightgbm" },
        });
        await call.RequestStream.WriteAsync(new UploadModelVersionRequest
        {
            Artifact = new Artifact { Kind = "model", Sha256 = artifact.Sha256, SizeBytes = artifact.Size, FileName = "model.zip" },
        });
        // As the worker sends artifacts: whole chunks read straight from the file, wrapped rather than copied (the
        // client has serialized a message by the time WriteAsync completes, and only then is the buffer refilled).
        await using var file = new FileStream(artifact.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        var buffer = new byte[ChunkSize];
        int read;
        while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
            await call.RequestStream.WriteAsync(new UploadModelVersionRequest { Chunk = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)) });
        await call.RequestStream.CompleteAsync();
        return await call;
    }

    /// <summary>
    /// Downloads as the CLI does: every byte hashed and checked against the SHA-256, written to a file and flushed to
    /// disk (the baseline copy is flushed too).
    /// </summary>
    private static async Task DownloadAsync(ModelService.ModelServiceClient models, int version, string sha256, string path)
    {
        using var call = models.DownloadModelVersion(new DownloadModelVersionRequest { ModelName = "bench-transfer", Version = version });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true))
        {
            await foreach (var chunk in call.ResponseStream.ReadAllAsync())
            {
                var writing = file.WriteAsync(chunk.Data.Memory);
                hash.AppendData(chunk.Data.Span);
                await writing;
            }
            file.Flush(flushToDisk: true);
        }
        if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha256)
            throw new InvalidOperationException("the downloaded bytes do not match the uploaded file's SHA-256");
    }

    private static double DurableCopy(string source, string target)
    {
        var clock = Stopwatch.StartNew();
        File.Copy(source, target, overwrite: true);
        using (var copied = new FileStream(target, FileMode.Open, FileAccess.ReadWrite))
            copied.Flush(flushToDisk: true);
        var seconds = clock.Elapsed.TotalSeconds;
        File.Delete(target);
        return seconds;
    }

    /// <summary>
    /// The copy written as the transfers write: 4 MiB pieces from an aligned buffer with direct I/O (a short last piece
    /// through the page cache), then flushed. Where the file system has no direct I/O it is the plain copy again.
    /// </summary>
    private static double DirectCopy(string source, string target)
    {
        var clock = Stopwatch.StartNew();
        var buffer = AlignedBuffer.Rent();
        try
        {
            using var from = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            using var to = File.OpenHandle(target, FileMode.Create, FileAccess.Write);
            var direct = DirectIo.TrySet(to, on: true);
            long offset = 0;
            int count;
            while ((count = RandomAccess.Read(from, buffer.Memory.Span, offset)) > 0)
            {
                if (direct && !DirectIo.IsAligned(count)) direct = !DirectIo.TrySet(to, on: false);
                RandomAccess.Write(to, buffer.Memory.Span[..count], offset);
                offset += count;
            }
            RandomAccess.FlushToDisk(to);
        }
        finally
        {
            buffer.Return();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        File.Delete(target);
        return seconds;
    }

    /// <summary>
    /// Makes the file a new artifact, untimed: its first 8 bytes become a number no other artifact of this run had (the
    /// runs at each size share a database, and the small warm-up file's bytes are the same in each), and its SHA-256 is
    /// computed again. Every timed upload is then what a job's new model is: bytes the store does not have yet, stored as
    /// a new blob. Uploading the same bytes again would time the duplicate path instead (the bytes are received and
    /// checked in full, then the staged copy is deleted and the first version returned; measured, the deletion of a
    /// 1 GB file alone waits about 0.37 s on this disk).
    /// </summary>
    private static async Task<string> NewArtifactAsync(string path)
    {
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            await file.WriteAsync(BitConverter.GetBytes(++_artifacts));
        await using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1024 * 1024, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(read));
    }

    private static async Task WriteRandomFileAsync(string path, long size)
    {
        var random = new Random(42);
        var buffer = new byte[1024 * 1024];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            var count = (int)Math.Min(buffer.Length, size - written);
            await file.WriteAsync(buffer.AsMemory(0, count));
        }
    }

    /// <summary>CPU seconds (user + system) used so far by the store process and by this one.</summary>
    private static (double Store, double Client) CpuSeconds(int storeProcessId)
    {
        // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
        var stat = File.ReadAllText($"/proc/{storeProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        const double TicksPerSecond = 100; // USER_HZ on Linux
        return (ticks / TicksPerSecond, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
    }

    /// <summary>
    /// Waits until the store and this process are idle (under 5% of a core for a second; at most a minute). After its
    /// first requests a fresh process goes on compiling its code at the optimising tier for several seconds on a
    /// background thread (measured with perf: a third of the store's CPU during the first timed 100 MB rounds), work a
    /// store that has been running for a while has long done.
    /// </summary>
    private static (double Store, double Client) CpuSince(int storeProcessId, ref (double Store, double Client) before)
    {
        var now = CpuSeconds(storeProcessId);
        var used = (now.Store - before.Store, now.Client - before.Client);
        before = now;
        return used;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>The process's peak resident memory so far (VmHWM), in bytes.</summary>
    private static long PeakMemoryBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kilobytes * 1024;
    }

    private static async Task<double[]> LatencyAsync(Func<Task> call)
    {
        for (var i = 0; i < Warmup; i++) await call();
        var samples = new double[Samples];
        for (var i = 0; i < Samples; i++)
        {
            var clock = Stopwatch.StartNew();
            await call();
            samples[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(samples);
        return samples;
    }

    private static BenchmarkResult Latency(string name, double[] sorted, double quantile, string target, string data, string mode) =>
        new(name, sorted[(int)Math.Ceiling(quantile * sorted.Length) - 1], "ms", null, null, target, data, mode);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static async Task<string> CreateDatabaseAsync(string admin)
    {
        var name = $"registry_bench_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static async Task DropDatabaseAsync(string admin, string database)
    {
        var name = new NpgsqlConnectionStringBuilder(database).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
