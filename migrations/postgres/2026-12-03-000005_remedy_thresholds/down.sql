DELETE FROM approval_thresholds;
