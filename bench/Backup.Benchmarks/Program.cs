using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Backup.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Backup.Benchmarks.DirHashBenchmarks).Assembly).Run(args);
