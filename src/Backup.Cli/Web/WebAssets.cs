using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// The page's files (HTML, CSS, JavaScript), embedded in the assembly as resources <c>web/NAME</c>: nothing to
/// download or build, nothing on disk that another user could swap.
/// </summary>
internal static class WebAssets
{
    private static readonly Dictionary<string, string> s_types = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
    };

    /// <summary>The names served, each at <c>/NAME</c> (index.html also at <c>/</c>).</summary>
    public static IEnumerable<string> Names => s_types.Keys;

    /// <summary>Writes the file <paramref name="name"/> to the response.</summary>
    public static async Task ServeAsync(HttpContext http, string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        await using var stream = typeof(WebAssets).Assembly.GetManifestResourceStream("web/" + name)
            ?? throw new InvalidOperationException($"the page's file {name} is not embedded in the assembly");
        http.Response.ContentType = s_types[name];
        http.Response.ContentLength = stream.Length;
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
