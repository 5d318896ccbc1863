// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-replay.c - run a fuzz target over every file of its corpus, so the
 * corpus is replayed by 'meson test' without a fuzzing engine. TAP output.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;

		if (!d) {
			printf("Bail out! cannot open corpus %s\n", argv[i]);
			return 1;
		}
		while ((de = readdir(d))) {
			char path[4096];
			FILE *f;
			long len;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			f = fopen(path, "rb");
			if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0) {
				printf("Bail out! cannot read %s\n", path);
				return 1;
			}
			rewind(f);
			uint8_t *buf = malloc((size_t)len + 1);
			if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
				printf("Bail out! cannot read %s\n", path);
				return 1;
			}
			fclose(f);
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			free(buf);
			printf("ok %d - %s\n", ++n, de->d_name);
		}
		closedir(d);
	}
	if (n == 0) {
		printf("Bail out! empty corpus\n");
		return 1;
	}
	printf("1..%d\n", n);
	return 0;
}
