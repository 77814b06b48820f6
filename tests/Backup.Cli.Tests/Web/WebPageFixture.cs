using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Backup.Testing;
using Microsoft.Playwright;

namespace Backup.Cli.Tests.Web;

/// <summary>
/// One real <c>backup daemon --watch --listen 127.0.0.1:PORT</c> on a temp catalog and repository watching one
/// source tree, and one headless Debian chromium driven by Playwright, shared by every test of
/// <see cref="WebPageTests"/>. The token is read from the token file the daemon made under <c>$XDG_CONFIG_HOME</c>.
/// </summary>
public sealed class WebPageFixture : IAsyncLifetime, IDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    private readonly BackupProcess _world = new();
    private RunningBackup? _daemon;
    private IPlaywright? _playwright;

    /// <summary>The watched tree: a.txt, docs/b.txt, docs/rand.bin (300 KB random), docs/sub/c.txt.</summary>
    public string Source => _world.Join("src");

    public string Root => _world.Root;

    /// <summary>The page's address, with a trailing slash.</summary>
    public string Url { get; private set; } = "";

    public string Token { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>An HttpClient without the token.</summary>
    public HttpClient Anonymous { get; } = new();

    /// <summary>An HttpClient with <c>Authorization: Bearer TOKEN</c>.</summary>
    public HttpClient Authorized { get; } = new();

    public string DaemonOutput => _daemon?.ToString() ?? "";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run installs it)");
        _world.Variables["BACKUP_PASSWORD"] = "pw";
        _world.Variables["XDG_CONFIG_HOME"] = _world.Join("home", ".config");
        _world.Dir("src", "docs", "sub");
        File.WriteAllText(_world.Join("src", "a.txt"), "hello\n");
        File.WriteAllText(_world.Join("src", "docs", "b.txt"), "world\n");
        File.WriteAllText(_world.Join("src", "docs", "sub", "c.txt"), "deep\n");
        File.WriteAllBytes(_world.Join("src", "docs", "rand.bin"), RandomBytes(300_000));
        File.CreateSymbolicLink(_world.Join("src", "docs", "link"), "b.txt");
        foreach (var args in new[] { new[] { "init" }, ["add", Source] })
        {
            var result = _world.Run(args);
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        var port = FreePort();
        _daemon = _world.Start("daemon", "--watch", "--quiet", "200ms", "--max-delay", "2s", "--listen", $"127.0.0.1:{port}");
        Url = $"http://127.0.0.1:{port}/";
        Poll.Until(() => _daemon.Output.Contains("web page: ", StringComparison.Ordinal) || _daemon.HasExited, "the daemon's web page address", describe: () => DaemonOutput);
        Assert.False(_daemon.HasExited, DaemonOutput);
        Assert.Contains($"web page: {Url}?token=", _daemon.Output, StringComparison.Ordinal);
        Token = File.ReadAllText(_world.Join("home", ".config", "backup", "web-token")).Trim();
        Assert.Contains(Token, _daemon.Output, StringComparison.Ordinal);
        Authorized.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await WaitForSnapshotsAsync(1);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
    }

    /// <summary>A new page, signed in through the printed address (which sets the cookie and redirects).</summary>
    public async Task<IPage> SignedInPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { AcceptDownloads = true, ViewportSize = new() { Width = 1100, Height = 700 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{Url}?token={Token}");
        Assert.Equal(Url, page.Url);
        return page;
    }

    /// <summary>The catalog numbers of the watched path's snapshots, oldest first, as <c>/api/paths</c> lists them.</summary>
    public async Task<List<long>> SnapshotsAsync()
    {
        using var paths = JsonDocument.Parse(await Authorized.GetStringAsync(Url + "api/paths"));
        return [.. paths.RootElement[0].GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("id").GetInt64())];
    }

    /// <summary>Waits until the watched path has at least <paramref name="count"/> snapshots.</summary>
    public async Task<List<long>> WaitForSnapshotsAsync(int count)
    {
        var end = DateTime.UtcNow + Poll.DefaultDeadline;
        while (true)
        {
            var ids = await SnapshotsAsync();
            if (ids.Count >= count)
            {
                return ids;
            }
            Assert.True(DateTime.UtcNow < end, $"timed out waiting for {count} snapshots, have {ids.Count}\n{DaemonOutput}");
            await Task.Delay(100);
        }
    }

    /// <summary>Saves a screenshot when <c>BACKUP_SCREENSHOTS</c> names a folder (docs/web is made so).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("BACKUP_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(new() { Path = Path.Join(folder, name + ".png"), FullPage = true });
        }
    }

    public async Task DisposeAsync()
    {
        if (_playwright is not null)
        {
            await Browser.DisposeAsync();
            _playwright.Dispose();
        }
        if (_daemon is { HasExited: false })
        {
            _daemon.Signal("TERM");
            Assert.Equal(0, _daemon.WaitForExit(TimeSpan.FromSeconds(30)));
        }
        _daemon?.Dispose();
    }

    /// <summary>After <see cref="DisposeAsync"/>: the clients and the temp world.</summary>
    public void Dispose()
    {
        Anonymous.Dispose();
        Authorized.Dispose();
        _world.Dispose();
    }

    private static byte[] RandomBytes(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);
}
