// Sanitizer builds only: LeakSanitizer's default suppressions for every binary that links the git
// layer.

#if defined(__SANITIZE_ADDRESS__)
// libgit2 1.5.1 (Debian 12) leaks PCRE2 match data on every remote lookup (its config regex
// iterator); the leak is libgit2's, and without this every sanitizer run that touches a remote
// fails. Two patterns: with fast unwinding the stack stops inside libpcre2, without symbols.
extern "C" const char *__lsan_default_suppressions();
extern "C" const char *__lsan_default_suppressions() {
  return "leak:pcre2_match_data_create_8\nleak:libpcre2-8.so\n";
}
#endif
