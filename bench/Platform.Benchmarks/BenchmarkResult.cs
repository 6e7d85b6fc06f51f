using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Benchmarks;

/// <summary>One figure, in the shape every benchmark writes to docs/benchmarks.json.</summary>
public sealed record BenchmarkResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("baseline")] double? Baseline,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("mode")] string Mode);

public static class BenchmarkReport
{
    // Relaxed escaping keeps targets such as "<= 1.15" readable in the file.
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Print(IEnumerable<BenchmarkResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"benchmark",-58} {"value",10} {"baseline",10} {"ratio",7} {"target",8}  mode");
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-58} {r.Value,10:0.###} {r.Baseline,10:0.###} {r.Ratio,7:0.###} {r.Target,8}  {r.Mode} ({r.Unit}, {r.Data})");
    }

    /// <summary>
    /// Replaces this run's entries (same name and mode) in <paramref name="path"/> and keeps the others,
    /// so benchmarks run separately still end up in one file.
    /// </summary>
    public static void Write(string path, IReadOnlyCollection<BenchmarkResult> results)
    {
        var existing = File.Exists(path)
            ? JsonSerializer.Deserialize<List<BenchmarkResult>>(File.ReadAllText(path)) ?? []
            : [];
        existing.RemoveAll(old => results.Any(r => r.Name == old.Name && r.Mode == old.Mode));
        existing.AddRange(results);
        File.WriteAllText(path, JsonSerializer.Serialize(existing.OrderBy(r => r.Name).ThenBy(r => r.Mode), Json) + "\n");
    }
}
