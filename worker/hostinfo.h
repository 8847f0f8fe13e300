#ifndef TF_HOSTINFO_H
#define TF_HOSTINFO_H

double host_cpu_usage(void);
double host_memory_usage(long long *total_mb);
long host_cores(void);

#endif
