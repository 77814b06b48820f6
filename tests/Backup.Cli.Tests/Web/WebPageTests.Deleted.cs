using Microsoft.Playwright;

namespace Backup.Cli.Tests.Web;

/// <summary>A restore with delete that removes more entries than the page lists.</summary>
public sealed partial class WebPageTests
{
    [Fact]
    public async Task Restore_DeleteOfManyEntries_PageListsTheFirst100AndSaysHowManyMore()
    {
        var id = (await web.SnapshotsAsync())[^1];
        var target = Path.Join(web.Root, $"many-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Join(target, "docs"));
        for (var i = 0; i < 120; i++)
        {
            File.WriteAllText(Path.Join(target, "docs", $"extra-{i:D3}.txt"), "not in the snapshot\n");
        }
        var page = await web.SignedInPageAsync();
        await page.GotoAsync($"{web.Url}#/browse/{id}/");
        await page.Locator("[data-entry='docs']").GetByTestId("restore").ClickAsync();
        await page.Locator("#restore-target").FillAsync(target);
        await page.Locator("#restore-delete").CheckAsync();
        await page.Locator("#restore-start").ClickAsync();

        var status = page.GetByTestId("restore-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 30_000 });
        await Assertions.Expect(status).ToContainTextAsync("after deleting 120 entries");
        await Assertions.Expect(page.GetByTestId("restore-deleted-paths").Locator("li")).ToHaveCountAsync(100);
        await Assertions.Expect(page.GetByTestId("restore-deleted-paths").Locator("li").First).ToHaveTextAsync("docs/extra-000.txt");
        await Assertions.Expect(page.GetByTestId("restore-deleted-more")).ToHaveTextAsync("… and 20 more");
        Assert.Empty(Directory.EnumerateFiles(Path.Join(target, "docs"), "extra-*"));
    }
}
