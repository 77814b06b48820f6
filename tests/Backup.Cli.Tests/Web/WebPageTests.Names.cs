using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests.Web;

/// <summary>Files whose names look like encodings or separators (legal on Linux): reached as themselves, never decoded.</summary>
public sealed partial class WebPageTests
{
    private static readonly string[] s_strangeNames = ["a%2Fb", "%2E%2E", "back\\slash"];

    [Fact]
    public async Task Names_HoldingEncodedSlashOrDotsOrABackslash_AreBrowsedDownloadedAndRestoredAsThemselves()
    {
        var folder = Path.Join(web.Source, "names");
        Directory.CreateDirectory(folder);
        var contents = s_strangeNames.ToDictionary(n => n, n => RandomNumberGenerator.GetBytes(1000 + n.Length));
        foreach (var (name, bytes) in contents)
        {
            await File.WriteAllBytesAsync(Path.Join(folder, name), bytes);
        }
        var id = await SnapshotListingAsync("names", s_strangeNames.Length);

        using (var tree = JsonDocument.Parse(await web.Authorized.GetStringAsync($"{web.Url}api/snapshots/{id}/tree?path=names")))
        {
            var entries = tree.RootElement.GetProperty("entries").EnumerateArray().ToList();
            Assert.Equal(s_strangeNames.Order(StringComparer.Ordinal), entries.Select(e => e.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
            Assert.All(entries, e => Assert.Equal("names/" + e.GetProperty("name").GetString(), e.GetProperty("path").GetString()));
        }
        foreach (var (name, bytes) in contents)
        {
            // As the page asks (encodeURIComponent): the query value arrives decoded once, as the name itself.
            var downloaded = await web.Authorized.GetByteArrayAsync($"{web.Url}api/snapshots/{id}/file?path={Uri.EscapeDataString("names/" + name)}");
            Assert.Equal(bytes, downloaded);
        }

        // %2E%2E is a name, never the parent: ".." is refused, and "%2E%2E" is the file, not a folder.
        using (var parent = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/tree?path={Uri.EscapeDataString("names/..")}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, parent.StatusCode);
        }
        using (var dots = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/tree?path={Uri.EscapeDataString("names/%2E%2E")}"))
        {
            var text = await dots.Content.ReadAsStringAsync();
            Assert.True(dots.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains("is not a folder", text, StringComparison.Ordinal);
        }
        // And a%2Fb is one name, not a/b.
        using (var split = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/file?path={Uri.EscapeDataString("names/a/b")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, split.StatusCode);
        }

        var target = Path.Join(web.Root, $"names-{Guid.NewGuid():N}");
        await RestoreJobAsync(new { snapshot = id, path = "names", target, overwrite = false });
        foreach (var (name, bytes) in contents)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Join(target, "names", name)));
        }
        var diff = Shell.Run("diff", "-r", folder, Path.Join(target, "names"));
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public async Task DownloadFolderAsZip_NameWithABackslash_IsLeftOutAndListedInANoteBesideTheFolder()
    {
        var folder = Path.Join(web.Source, "zipnames");
        Directory.CreateDirectory(Path.Join(folder, "sub\\dir"));
        await File.WriteAllTextAsync(Path.Join(folder, "..\\..\\escape"), "would escape on Windows\n");
        await File.WriteAllTextAsync(Path.Join(folder, "sub\\dir", "inside.txt"), "below a left-out folder\n");
        await File.WriteAllTextAsync(Path.Join(folder, "%2E%2E"), "kept\n");
        var id = await SnapshotListingAsync("zipnames", 3);

        using var response = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/zip?path=zipnames");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("X-Backup-Left-Out").Single());
        var zip = Path.Join(web.Root, $"zipnames-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zip, await response.Content.ReadAsByteArrayAsync());

        // Python's zipfile, an independent reader: every name, and the note's text.
        var read = Shell.Run("python3", "-c", """
            import json, sys, zipfile
            with zipfile.ZipFile(sys.argv[1]) as z:
                assert z.testzip() is None
                print(json.dumps({"names": z.namelist(), "note": z.read("left-out-of-this-zip.txt").decode()}))
            """, zip);
        Assert.True(read.ExitCode == 0, read.ToString());
        using var json = JsonDocument.Parse(read.Output);
        var names = json.RootElement.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.Equal(["left-out-of-this-zip.txt", "zipnames/", "zipnames/%2E%2E"], names.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(names, n => n.Contains('\\', StringComparison.Ordinal));
        var note = json.RootElement.GetProperty("note").GetString()!;
        Assert.Contains("\n..\\..\\escape\n", note, StringComparison.Ordinal);
        Assert.Contains("\nsub\\dir\nsub\\dir/inside.txt\n", note, StringComparison.Ordinal);
        Assert.Contains("backslash", note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file?path=docs%252F..%252F..%252Fetc%252Fpasswd")]
    [InlineData("file?path=%252E%252E%2F%252E%252E%2Fetc%2Fpasswd")]
    [InlineData("tree?path=docs%5C..%5C..")]
    public async Task Request_EncodedTwiceOrBackslashTraversal_IsANameThatIsNotThere404(string query)
    {
        // Decoded once, these are names (docs%2F..%2F..%2Fetc%2Fpasswd, a folder %2E%2E, docs\..\..): none is in the snapshot.
        var id = (await web.SnapshotsAsync())[0];
        using var response = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, body);
        Assert.DoesNotContain("root:", body, StringComparison.Ordinal);
    }

    /// <summary>Waits for a snapshot whose folder <paramref name="folder"/> lists <paramref name="entries"/> entries; returns its id.</summary>
    private async Task<long> SnapshotListingAsync(string folder, int entries)
    {
        var end = DateTime.UtcNow + s_wait;
        while (true)
        {
            var id = (await web.SnapshotsAsync())[^1];
            using var response = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/tree?path={folder}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var tree = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (tree.RootElement.GetProperty("entries").GetArrayLength() == entries)
                {
                    return id;
                }
            }
            Assert.True(DateTime.UtcNow < end, $"no snapshot lists {entries} entries in {folder}\n{web.DaemonOutput}");
            await Task.Delay(100);
        }
    }
}
