/* What a runner reports of its host in its heartbeat: CPU and memory use. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostinfo.h"

/* CPU use in percent since the previous call, from /proc/stat. */
double host_cpu_usage(void)
{
	static unsigned long long last_idle, last_total;
	unsigned long long v[8] = { 0 }, idle, total = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL)
		return 0;
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	               &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return 0;
	for (int i = 0; i < 8; i++)
		total += v[i];
	idle = v[3] + v[4];
	double use = total > last_total ? 100.0 * (1.0 - (double)(idle - last_idle) / (double)(total - last_total)) : 0;
	last_idle = idle;
	last_total = total;
	return use < 0 ? 0 : use;
}

/* Memory in use in percent, and the total in MB, from /proc/meminfo. */
double host_memory_usage(long long *total_mb)
{
	char line[256];
	long long total = 0, available = 0, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %lld kB", &v) == 1)
			total = v;
		else if (sscanf(line, "MemAvailable: %lld kB", &v) == 1)
			available = v;
	}
	fclose(f);
	*total_mb = total / 1024;
	return total ? 100.0 * (double)(total - available) / (double)total : 0;
}

long host_cores(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}
