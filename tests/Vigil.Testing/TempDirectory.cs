namespace Vigil.Testing;

/// <summary>Removal of a test's temp folder that never fails the test over leftovers.</summary>
public static class TempDirectory
{
    public static async Task DeleteAsync(string path)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                // A process that was just killed may still be releasing a file; try again.
                await Task.Delay(100);
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }
}
