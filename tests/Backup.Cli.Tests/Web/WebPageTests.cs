using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Backup.Testing;
using Microsoft.Playwright;

namespace Backup.Cli.Tests.Web;

/// <summary>
/// The daemon's web page in a real browser (headless chromium through Playwright) and over plain HTTP, against one
/// real daemon (<see cref="WebPageFixture"/>). Each test leaves docs/ of the source as it was, so that any may run first.
/// </summary>
public sealed partial class WebPageTests(WebPageFixture web) : IClassFixture<WebPageFixture>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Paths_ShowStateAndTimeline_TimelineGrowsAfterAChange()
    {
        var page = await web.SignedInPageAsync();
        var card = page.Locator($"[data-path='{web.Source}']");
        await Assertions.Expect(card.GetByTestId("state")).ToHaveTextAsync("up to date", new() { Timeout = 30_000 });
        var before = (await web.SnapshotsAsync()).Count;
        await Assertions.Expect(card.GetByTestId("timeline").Locator("a")).ToHaveCountAsync(before, new() { Timeout = 30_000 });

        File.WriteAllText(Path.Join(web.Source, $"new-{Guid.NewGuid():N}.txt"), "made during the test\n");

        // The page polls every 3 s: the new snapshot appears without a reload.
        await Assertions.Expect(card.GetByTestId("timeline").Locator("a")).ToHaveCountAsync(before + 1, new() { Timeout = 30_000 });
        await Assertions.Expect(card.GetByTestId("state")).ToHaveTextAsync("up to date", new() { Timeout = 30_000 });
        await WebPageFixture.ScreenshotAsync(page, "paths");
    }

    [Fact]
    public async Task Browse_FolderThenDownloadFile_BytesAreExact()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/browse/{id}/");
        await page.Locator("[data-entry='docs'] a", new() { HasText = "docs/" }).ClickAsync();
        var row = page.Locator("[data-entry='docs/rand.bin']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-entry='docs/sub']")).ToBeVisibleAsync();
        await WebPageFixture.ScreenshotAsync(page, "browse");
        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByTestId("download").ClickAsync());
        var saved = Path.Join(web.Root, $"download-{Guid.NewGuid():N}");
        await download.SaveAsAsync(saved);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Join(web.Source, "docs", "rand.bin")), await File.ReadAllBytesAsync(saved));
        Assert.Equal("rand.bin", download.SuggestedFilename);

        await row.GetByTestId("versions").ClickAsync();
        var versions = page.GetByTestId("versions-table");
        await Assertions.Expect(versions).ToContainTextAsync("293.0 KiB");
        await Assertions.Expect(versions.Locator("tbody tr")).Not.ToHaveCountAsync(0);
        await WebPageFixture.ScreenshotAsync(page, "versions");
    }

    [Fact]
    public async Task DownloadFolderAsZip_UnzipTestsItAndMakesTheFolderAgainWithItsSymlink()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var zip = Path.Join(web.Root, $"docs-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(zip, await web.Authorized.GetByteArrayAsync($"{web.Url}api/snapshots/{id}/zip?path=docs"));
        var unzipped = Path.Join(web.Root, $"unzipped-{Guid.NewGuid():N}");

        var test = Shell.Run("unzip", "-tq", zip);
        var extract = Shell.Run("unzip", "-q", zip, "-d", unzipped);

        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.True(extract.ExitCode == 0, extract.ToString());
        Assert.Equal("b.txt", new FileInfo(Path.Join(unzipped, "docs", "link")).LinkTarget);
        var diff = Shell.Run("diff", "-r", "--no-dereference", Path.Join(web.Source, "docs"), Path.Join(unzipped, "docs"));
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public async Task Restore_FolderToTarget_EqualsSourceByDiff()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/browse/{id}/");
        await page.Locator("[data-entry='docs']").GetByTestId("restore").ClickAsync();
        var target = Path.Join(web.Root, $"restored-{Guid.NewGuid():N}");
        await page.Locator("#restore-target").FillAsync(target);
        await page.Locator("#restore-start").ClickAsync();
        var status = page.GetByTestId("restore-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(status).ToContainTextAsync("restored 3 files");
        await WebPageFixture.ScreenshotAsync(page, "restore");
        var diff = Shell.Run("diff", "-r", Path.Join(web.Source, "docs"), Path.Join(target, "docs"));
        Assert.True(diff.ExitCode == 0, diff.ToString());

        // Again into the same, now non-empty, target: refused without overwrite, as `backup restore` refuses it.
        await page.Locator("#restore-start").ClickAsync();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "failed", new() { Timeout = 30_000 });
        await page.Locator("#restore-overwrite").CheckAsync();
        await page.Locator("#restore-start").ClickAsync();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task Restore_DeleteAfterPreview_PreviewCountsTheExtraFileAndRestoreRemovesIt()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var target = Path.Join(web.Root, $"mirror-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(target, "docs"));
        var extra = Path.Join(target, "docs", "extra.txt");
        File.WriteAllText(extra, "not in the snapshot\n");
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/browse/{id}/");
        await page.Locator("[data-entry='docs']").GetByTestId("restore").ClickAsync();
        await page.Locator("#restore-target").FillAsync(target);
        await page.Locator("#restore-delete").CheckAsync();
        await Assertions.Expect(page.Locator("#restore-overwrite")).ToBeCheckedAsync();
        await page.Locator("#restore-preview").ClickAsync();
        await Assertions.Expect(page.GetByTestId("preview-deleted")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("preview-deleted-paths")).ToHaveTextAsync("docs/extra.txt");
        Assert.True(File.Exists(extra), "the preview deleted the extra file");

        await page.Locator("#restore-start").ClickAsync();
        var status = page.GetByTestId("restore-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(status).ToContainTextAsync("after deleting 1 entries");
        Assert.False(File.Exists(extra), "the restore with delete left the extra file");
        var diff = Shell.Run("diff", "-r", Path.Join(web.Source, "docs"), Path.Join(target, "docs"));
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public async Task RestoreDryRun_TargetWithAnExtraFile_ListsItAsDeletedAndChangesNothing()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var target = Path.Join(web.Root, $"preview-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(target, "docs"));
        File.WriteAllText(Path.Join(target, "docs", "b.txt"), "changed\n");
        File.WriteAllText(Path.Join(target, "docs", "extra.txt"), "not in the snapshot\n");
        var before = target + ".before";
        Assert.Equal(0, Shell.Run("cp", "-a", target, before).ExitCode);

        using var response = await PostRestoreAsync(new { snapshot = id, path = "docs", target, overwrite = false, delete = true, dryRun = true });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.True(root.GetProperty("dry_run").GetBoolean());
        Assert.Equal(["docs/extra.txt"], root.GetProperty("deleted_paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(1, root.GetProperty("deleted").GetProperty("files").GetInt64());
        Assert.Equal(1, root.GetProperty("overwritten").GetProperty("files").GetInt64());
        Assert.Equal(2, root.GetProperty("created").GetProperty("files").GetInt64());
        TreeAssert.Identical(before, target);
    }

    [Fact]
    public async Task RestoreDryRun_TargetAbsent_CountsWhatWouldBeCreatedAndMakesNoFolder()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var above = Path.Join(web.Root, $"absent-{Guid.NewGuid():N}");
        var target = Path.Join(above, "target");

        using var response = await PostRestoreAsync(new { snapshot = id, path = "docs", target, overwrite = false, delete = true, dryRun = true });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(3, json.RootElement.GetProperty("created").GetProperty("files").GetInt64());
        Assert.Empty(json.RootElement.GetProperty("deleted_paths").EnumerateArray());
        await Task.Delay(500);
        Assert.False(Path.Exists(above), "the dry run made a folder");
    }

    [Fact]
    public async Task RestoreDelete_TargetWithExtras_RemovesThemInsideThePathOnlyAndEqualsTheSnapshot()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var target = Path.Join(web.Root, $"delete-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(target, "docs", "sub", "old"));
        File.WriteAllText(Path.Join(target, "docs", "b.txt"), "changed\n");
        File.WriteAllText(Path.Join(target, "docs", "extra.txt"), "not in the snapshot\n");
        File.WriteAllText(Path.Join(target, "docs", "sub", "old", "x.txt"), "not in the snapshot\n");
        File.WriteAllText(Path.Join(target, "mine.txt"), "outside the restored path\n");

        var job = await RestoreJobAsync(new { snapshot = id, path = "docs", target, overwrite = false, delete = true });

        Assert.Equal(["docs/extra.txt", "docs/sub/old", "docs/sub/old/x.txt"], job.GetProperty("deletedPaths").EnumerateArray().Select(p => p.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(2, job.GetProperty("deleted").GetProperty("files").GetInt64());
        Assert.Equal(3, job.GetProperty("deletedCount").GetInt32());
        Assert.Equal(0, job.GetProperty("deletedPathsLeftOut").GetInt32());
        Assert.Empty(job.GetProperty("deleteFailures").EnumerateArray());
        var diff = Shell.Run("diff", "-r", Path.Join(web.Source, "docs"), Path.Join(target, "docs"));
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Equal("outside the restored path\n", File.ReadAllText(Path.Join(target, "mine.txt")));
    }

    [Fact]
    public async Task RestoreDelete_SymlinksInTargetPointingOutside_NothingOutsideIsTouched()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var outside = Path.Join(web.Root, $"outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(outside, "deep"));
        File.WriteAllText(Path.Join(outside, "victim.txt"), "keep me\n");
        File.WriteAllText(Path.Join(outside, "deep", "c.txt"), "keep me too\n");
        var before = outside + ".before";
        Assert.Equal(0, Shell.Run("cp", "-a", outside, before).ExitCode);
        var target = Path.Join(web.Root, $"links-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(target, "docs"));
        // Not in the snapshot: the link itself goes. Where the snapshot has the folder sub: the link is replaced by it.
        File.CreateSymbolicLink(Path.Join(target, "docs", "escape"), outside);
        File.CreateSymbolicLink(Path.Join(target, "docs", "sub"), Path.Join(outside, "deep"));
        // Outside the restored path docs: left alone.
        File.CreateSymbolicLink(Path.Join(target, "link-out"), outside);

        var job = await RestoreJobAsync(new { snapshot = id, path = "docs", target, overwrite = false, delete = true });

        Assert.Empty(job.GetProperty("deleteFailures").EnumerateArray());
        TreeAssert.Identical(before, outside);
        Assert.Equal(outside, new FileInfo(Path.Join(target, "link-out")).LinkTarget);
        Assert.False(Path.Exists(Path.Join(target, "docs", "escape")));
        Assert.Null(new DirectoryInfo(Path.Join(target, "docs", "sub")).LinkTarget);
        var diff = Shell.Run("diff", "-r", Path.Join(web.Source, "docs"), Path.Join(target, "docs"));
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Fact]
    public async Task Diff_TwoSnapshots_ShowsTheAddedFile()
    {
        var first = (await web.SnapshotsAsync())[0];
        var name = $"diff-{Guid.NewGuid():N}.txt";
        var count = (await web.SnapshotsAsync()).Count;
        File.WriteAllText(Path.Join(web.Source, name), "added\n");
        var last = (await web.WaitForSnapshotsAsync(count + 1))[^1];
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/diff?from={first}&to={last}");
        var row = page.Locator("[data-change='+']", new() { HasText = name });
        await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("diff-summary")).ToContainTextAsync("added");
        await WebPageFixture.ScreenshotAsync(page, "diff");
    }

    [Fact]
    public async Task Repository_CheckFromThePage_ShowsNoErrors()
    {
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/repository");
        await Assertions.Expect(page.GetByTestId("repository-table")).ToContainTextAsync("deduplication ratio");
        await page.Locator("#check-start").ClickAsync();
        await Assertions.Expect(page.GetByTestId("last-check")).ToContainTextAsync("no errors", new() { Timeout = 30_000 });
        await WebPageFixture.ScreenshotAsync(page, "repository");
    }

    [Theory]
    [InlineData("")]
    [InlineData("api/paths")]
    [InlineData("api/snapshots/1/file?path=a.txt")]
    [InlineData("metrics")]
    public async Task Request_WithoutToken_Is401(string path)
    {
        using var response = await web.Anonymous.GetAsync(web.Url + path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var wrong = await web.Anonymous.GetAsync(web.Url + "?token=" + new string('x', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Theory]
    [InlineData("file?path=../../../../etc/passwd")]
    [InlineData("file?path=%2Fetc%2Fpasswd")]
    [InlineData("file?path=docs%2F..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("tree?path=docs/../..")]
    [InlineData("zip?path=..")]
    public async Task Request_PathOutsideTheSnapshot_Is400(string query)
    {
        var id = (await web.SnapshotsAsync())[0];
        using var response = await web.Authorized.GetAsync($"{web.Url}api/snapshots/{id}/{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_WithoutCsrfToken_Is403AndRestoresNothing()
    {
        var id = (await web.SnapshotsAsync())[0];
        var target = Path.Join(web.Root, $"csrf-{Guid.NewGuid():N}");
        using var body = new StringContent($"{{\"snapshot\":{id},\"path\":\"docs\",\"target\":\"{target}\"}}", Encoding.UTF8, "application/json");
        using var response = await web.Authorized.PostAsync(web.Url + "api/restore", body);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var check = await web.Authorized.PostAsync(web.Url + "api/check", null);
        Assert.Equal(HttpStatusCode.Forbidden, check.StatusCode);
        await Task.Delay(500);
        Assert.False(Path.Exists(target));
    }

    [Fact]
    public async Task Metrics_ScrapedWithBearerToken_NameTheWatchedPathAndPassPromtool()
    {
        await web.WaitForSnapshotsAsync(1);
        using var response = await web.Authorized.GetAsync(web.Url + "metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        var path = $"path=\"{web.Source}\"";
        Assert.Contains(text.Split('\n'), l => l.StartsWith("backup_last_success_timestamp_seconds{", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
        Assert.Contains(text.Split('\n'), l => l.StartsWith("backup_snapshots_total{", StringComparison.Ordinal) && l.Contains(path, StringComparison.Ordinal));
        Assert.Contains("process_", text, StringComparison.Ordinal);
        var file = Path.Join(web.Root, "scrape.txt");
        await File.WriteAllTextAsync(file, text);
        Assert.True(Shell.Exists("promtool"), "promtool (Debian package prometheus) is required: .ci/run installs it");
        var lint = Shell.Run("sh", "-c", "promtool check metrics < \"$1\"", "sh", file);
        Assert.True(lint.ExitCode == 0 && lint.Output.Trim().Length == 0, lint.ToString());
    }

    /// <summary>POSTs <paramref name="body"/> to /api/restore as the page does: the token and the CSRF header.</summary>
    private async Task<HttpResponseMessage> PostRestoreAsync(object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, web.Url + "api/restore") { Content = JsonContent.Create(body) };
        request.Headers.Add(Backup.Cli.Web.WebAuthentication.CsrfHeader, Backup.Cli.Web.WebToken.CsrfFor(web.Token));
        return await web.Authorized.SendAsync(request);
    }

    /// <summary>Starts a restore job with <paramref name="body"/>, waits until it is done and returns its result.</summary>
    private async Task<JsonElement> RestoreJobAsync(object body)
    {
        string jobId;
        using (var response = await PostRestoreAsync(body))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
            using var started = JsonDocument.Parse(text);
            jobId = started.RootElement.GetProperty("id").GetString()!;
        }
        var end = DateTime.UtcNow + s_wait;
        while (true)
        {
            using var job = JsonDocument.Parse(await web.Authorized.GetStringAsync(web.Url + "api/jobs/" + jobId));
            var state = job.RootElement.GetProperty("state").GetString();
            if (state != "running")
            {
                Assert.True(state == "done", job.RootElement.ToString());
                return job.RootElement.GetProperty("result").Clone();
            }
            Assert.True(DateTime.UtcNow < end, $"the restore job did not end\n{web.DaemonOutput}");
            await Task.Delay(100);
        }
    }
}
