-- The model's explanation of each verdict: {"attack_cat_prob": p, "top_features": [...]}
-- (SHAP top features are computed for anomalies only; empty for older rows).
ALTER TABLE anomaly_scores ADD COLUMN explanation text NOT NULL DEFAULT '';
