using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Backup.Benchmarks -- --filter '*' [--job short]
// dotnet run -c Release --project bench/Backup.Benchmarks -- index-memory [CHUNKS]
if (args is ["index-memory", ..])
{
    Backup.Benchmarks.IndexMemory.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Backup.Benchmarks.DirHashBenchmarks).Assembly).Run(args);
