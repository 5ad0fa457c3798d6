// Placeholder until the CLI layer lands.
int main() { return 1; }
