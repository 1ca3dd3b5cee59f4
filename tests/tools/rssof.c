/*
 * rssof.c — runs a command and prints its peak resident set size (from wait4's ru_maxrss)
 * to standard error as "maxrss_kib N", then its CPU time (user + system, children it waited
 * for included: a shell's whole pipeline) as "cpu_s S"; exits with the command's status.
 * Usage: rssof CMD [ARGS...]
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rssof CMD [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return 2;
    fprintf(stderr, "maxrss_kib %ld\n", ru.ru_maxrss);
    fprintf(stderr, "cpu_s %.3f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                                       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
