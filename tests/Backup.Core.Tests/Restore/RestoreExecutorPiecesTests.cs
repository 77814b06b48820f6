using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Restore;

/// <summary>The restore's files written piece by piece, in the order a source chooses (a repository's: pack by pack).</summary>
public sealed class RestoreExecutorPiecesTests : IDisposable
{
    private const int Files = 600;
    private const int Pieces = 3;
    private const int PieceLength = 1000;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task RestoreAsync_PiecesOfManyFilesInterleaved_KeepsFewFilesOpenAndWritesEveryByte()
    {
        var source = new InterleavedSource { CountUnder = _temp.Join("out") };

        var result = await new RestoreExecutor(new RestoreOptions()).RestoreAsync(Plan(), source, _temp.Join("out"), CancellationToken.None);

        Assert.Empty(result.Failures);
        Assert.Equal(Files, result.Files);
        Assert.Equal((long)Files * Pieces * PieceLength, result.Bytes);
        for (var f = 0; f < Files; f++)
        {
            Assert.Equal(InterleavedSource.Content(f), File.ReadAllBytes(_temp.Join("out", "d", $"f{f:D3}")));
        }
        // Every file had a piece before any had its last: without the bound, all 600 would be open at once.
        // Only descriptors on files below the target are counted, so other tests of this process do not disturb it.
        Assert.InRange(source.MostOpen, 1, OpenFilesBound + 1); // the files, and the target's folder
    }

    [Fact]
    public async Task RestoreAsync_FileSwappedForSymlinkBetweenPieces_StopsAndWritesNothingOutside()
    {
        var outside = _temp.Join("outside");
        File.WriteAllText(outside, "keep");
        var target = _temp.Join("out");
        var source = new InterleavedSource
        {
            // After every file's first piece, the last file (whose descriptor was given back) becomes a symlink out.
            AfterRound = round =>
            {
                if (round == 0)
                {
                    var victim = Path.Join(target, "d", $"f{Files - 1:D3}");
                    File.Move(victim, victim + ".moved");
                    File.CreateSymbolicLink(victim, outside);
                }
            },
        };

        await Assert.ThrowsAnyAsync<IOException>(() => new RestoreExecutor(new RestoreOptions()).RestoreAsync(Plan(), source, target, CancellationToken.None));

        Assert.Equal("keep", File.ReadAllText(outside));
    }

    /// <summary>RestoreExecutor.FileWriter.MaxOpen.</summary>
    private const int OpenFilesBound = 256;

    private static RestorePlan Plan() => RestorePlan.Create(
        [
            new RestoreEntry("d", FileType.Directory, 0x1ED, 0, 0, ""),
            .. Enumerable.Range(0, Files).Select(f => new RestoreEntry($"d/f{f:D3}", FileType.File, 0x1A4, 0, Pieces * PieceLength, "")),
        ]);

    /// <summary>Gives piece 0 of every file, then piece 1 of every file, and so on; counts the process's open descriptors as it goes.</summary>
    private sealed class InterleavedSource : IRestoreSource
    {
        public Action<int>? AfterRound { get; init; }

        /// <summary>The folder whose open descriptors are counted.</summary>
        public string CountUnder { get; init; } = "/nonexistent";

        public int MostOpen { get; private set; }

        public static byte[] Content(int file) => TestTree.RandomBytes(Pieces * PieceLength, file);

        public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, CancellationToken cancellationToken) =>
            throw new NotSupportedException("this source gives pieces only");

        public Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken) => Task.FromResult(Array.Empty<byte>());

        public Task WriteContentsAsync(IReadOnlyList<RestoreEntry> files, IContentSink sink, int parallelism, CancellationToken cancellationToken)
        {
            var content = files.Select(f => Content(int.Parse(f.Path[3..], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            for (var piece = 0; piece < Pieces; piece++)
            {
                for (var f = 0; f < files.Count; f++)
                {
                    sink.Write(f, piece * PieceLength, content[f].AsSpan(piece * PieceLength, PieceLength));
                    if (piece == Pieces - 1)
                    {
                        sink.Complete(f, Pieces * PieceLength);
                    }
                    MostOpen = Math.Max(MostOpen, OpenDescriptorsUnder(CountUnder));
                }
                AfterRound?.Invoke(piece);
            }
            return Task.CompletedTask;
        }

        /// <summary>How many of the process's descriptors are open on the folder itself or on something below it.</summary>
        private static int OpenDescriptorsUnder(string folder)
        {
            var count = 0;
            foreach (var fd in Directory.GetFiles("/proc/self/fd"))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue; // closed between the listing and the read
                }
                if (target is not null && (target == folder || target.StartsWith(folder + "/", StringComparison.Ordinal)))
                {
                    count++;
                }
            }
            return count;
        }
    }
}
