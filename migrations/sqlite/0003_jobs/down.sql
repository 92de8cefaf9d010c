DROP TABLE nautobot_worker;
DROP TABLE extras_scheduledjob;
DROP TABLE extras_jobresult;
DROP TABLE extras_job;
